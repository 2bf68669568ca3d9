"""JSON errors for the API: `{"error": code, "message": sentence, "fields"?: {...}}`."""
from meetapp.api import bp
from meetapp.domain.scheduling import InvalidRequest, SchedulingError
from meetapp.web.errors import json_error


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, fields: dict[str, str] | None = None, headers: dict | None = None
    ):
        super().__init__(message)
        self.status, self.code, self.message, self.fields, self.headers = status, code, message, fields, headers


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    response, status = json_error(error.status, error.code, error.message, error.fields)
    response.headers.update(error.headers or {})
    return response, status


@bp.errorhandler(SchedulingError)
def scheduling_error(error: SchedulingError):
    fields = error.fields if isinstance(error, InvalidRequest) else None
    return json_error(error.status, error.code, error.message, fields)
