from __future__ import annotations

from rest_framework import serializers

from rotation.services import DEFAULT_SCHEDULE_WEEKS
from supportdesk.api import InstantField

MAX_SCHEDULE_WEEKS = 104


class StewardSerializer(serializers.Serializer):
    """An engineer of the rotation roster."""

    id = serializers.IntegerField(read_only=True, help_text="The engineer's id.")
    user = serializers.IntegerField(source="user_id", read_only=True)
    name = serializers.CharField(source="roster_name", read_only=True)
    country = serializers.CharField(read_only=True)


class OnDutySerializer(serializers.Serializer):
    at = serializers.DateTimeField(read_only=True)
    day = serializers.DateField(read_only=True, help_text="The rotation's day at `at`.")
    stewards = StewardSerializer(
        many=True, read_only=True, help_text="Most senior first; empty before the rotation starts."
    )


class ShiftNoteSerializer(serializers.Serializer):
    first_day = serializers.DateField(read_only=True)
    last_day = serializers.DateField(read_only=True, help_text="Inclusive.")
    team = StewardSerializer(many=True, read_only=True)
    text = serializers.CharField(read_only=True)


class ShiftSerializer(serializers.Serializer):
    index = serializers.IntegerField(read_only=True)
    starts = serializers.DateField(read_only=True)
    ends = serializers.DateField(read_only=True, help_text="Exclusive: the next change.")
    last_day = serializers.DateField(read_only=True)
    team = StewardSerializer(many=True, read_only=True, help_text="Rostered, most senior first.")
    joining = StewardSerializer(read_only=True)
    leaving = StewardSerializer(read_only=True, allow_null=True)
    notes = ShiftNoteSerializer(
        many=True, read_only=True, help_text="Days on which overrides change who serves."
    )


class ScheduleSerializer(serializers.Serializer):
    first_day = serializers.DateField(read_only=True)
    weeks = serializers.IntegerField(read_only=True)
    shifts = ShiftSerializer(many=True, read_only=True)


class OnDutyQuerySerializer(serializers.Serializer):
    at = InstantField(
        required=False,
        help_text="An ISO 8601 instant between 2000 and 2999 (UTC without an offset); "
        "omitted: now.",
    )


class ScheduleQuerySerializer(serializers.Serializer):
    weeks = serializers.IntegerField(
        min_value=1,
        max_value=MAX_SCHEDULE_WEEKS,
        default=DEFAULT_SCHEDULE_WEEKS,
        help_text=f"How far ahead, 1 to {MAX_SCHEDULE_WEEKS} weeks.",
    )
