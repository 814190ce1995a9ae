"""Every model, imported in one place so the metadata (and Alembic) sees all the tables."""

from hub.audit import AuditEntry, AuditHead
from hub.auth.models import RecoveryCode, StaffSession, StaffUser
from hub.feedback.models import FeedbackCode, FeedbackResponse
from hub.kpi.meeting_models import MeetingAction, MeetingRecord
from hub.kpi.models import KpiDefinition, KpiQuarter, KpiReminder, KpiReturn, KpiTarget
from hub.measures.models import OutcomeMeasure
from hub.outbox import OutboxMessage
from hub.privacy.models import ErasureDecision, LegalHold, RequestReferral, RetentionRule, RightsRequest
from hub.providers.models import (
    Provider,
    ProviderCapacity,
    Specialism,
    SpecialismCapacity,
    provider_specialism,
)
from hub.referrals.models import (
    Allocation,
    ConsultationVolunteer,
    DraftPage,
    MeasureRecord,
    Referral,
    ReferralEvent,
    referral_specialism,
)

__all__ = [
    "Allocation",
    "AuditEntry",
    "AuditHead",
    "ConsultationVolunteer",
    "DraftPage",
    "ErasureDecision",
    "FeedbackCode",
    "FeedbackResponse",
    "KpiDefinition",
    "KpiQuarter",
    "KpiReminder",
    "KpiReturn",
    "KpiTarget",
    "LegalHold",
    "MeasureRecord",
    "MeetingAction",
    "MeetingRecord",
    "OutboxMessage",
    "OutcomeMeasure",
    "Provider",
    "ProviderCapacity",
    "RecoveryCode",
    "Referral",
    "ReferralEvent",
    "RequestReferral",
    "RetentionRule",
    "RightsRequest",
    "Specialism",
    "SpecialismCapacity",
    "StaffSession",
    "StaffUser",
    "provider_specialism",
    "referral_specialism",
]
