"""The survey as an Excel workbook: export pre-filled, check and read an upload, plan and apply the import."""

from mcwg_dashboard.excel.safety import (
    MAX_COMPRESSION_RATIO,
    MAX_UNCOMPRESSED_BYTES,
    MAX_UPLOAD_BYTES,
    UploadRejected,
    check_upload,
)
from mcwg_dashboard.excel.survey_workbook import (
    PROFILE_KEY,
    AnswerValues,
    ImportPlan,
    ParsedWorkbook,
    PlannedChange,
    ProfileChange,
    Resolution,
    apply_survey_import,
    describe_profile_change,
    describe_saved,
    export_survey_workbook,
    format_plan,
    plan_survey_import,
    read_survey_workbook,
)

__all__ = [
    "MAX_COMPRESSION_RATIO",
    "MAX_UNCOMPRESSED_BYTES",
    "MAX_UPLOAD_BYTES",
    "PROFILE_KEY",
    "AnswerValues",
    "ImportPlan",
    "ParsedWorkbook",
    "PlannedChange",
    "ProfileChange",
    "Resolution",
    "UploadRejected",
    "apply_survey_import",
    "check_upload",
    "describe_profile_change",
    "describe_saved",
    "export_survey_workbook",
    "format_plan",
    "plan_survey_import",
    "read_survey_workbook",
]
