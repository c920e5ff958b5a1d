"""The reports pages: documents and certificates, the branch view and its charts."""
from lms.reports.views import branch, documents  # noqa: F401
