"""users.info and auth.test as Slack answers them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from .model import JsonDict
from .records import SlackError, User
from .state import WorkspaceState


class UsersApi(WorkspaceState):
    """Who the members are, and who the app's bot is."""

    def _auth_test(self, args: JsonDict) -> JsonDict:
        bot = self._users[self.bot_user_id]
        team_id = self.calling_team or self.team_id
        domain = self.team_domain if team_id == self.team_id else team_id.lower()
        return {
            "url": f"https://{domain}.slack.com/",
            "team": domain,
            "user": bot.name,
            "team_id": team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _users_info(self, args: JsonDict) -> JsonDict:
        user = self._users.get(str(args.get("user", "")))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": self.user_object(user)}

    def user_object(self, user: User) -> JsonDict:
        """A user as users.info returns it, with the zone offset as of now."""
        local = datetime.fromtimestamp(self.now(), ZoneInfo(user.tz))
        offset = local.utcoffset()
        return {
            "id": user.id,
            "team_id": user.team_id,
            "name": user.name,
            "deleted": user.deleted,
            "real_name": user.real_name,
            "tz": user.tz,
            "tz_label": local.tzname() or user.tz,
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "profile": {"real_name": user.real_name, "display_name": user.name, "team": user.team_id},
            "is_admin": user.is_admin,
            "is_owner": user.is_owner,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "updated": int(self.now()),
        }
