//! Body extractors whose rejections are the API's JSON errors: 400 for bad JSON, missing
//! fields and wrong types, 413 for oversized bodies, never axum's plain-text defaults.

use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Largest request body accepted (JSON and forms alike).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "invalid_request",
        format!("request body larger than {MAX_BODY_BYTES} bytes"),
    )
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::invalid_request("expected Content-Type: application/json")
        }
        JsonRejection::JsonSyntaxError(e) => {
            ApiError::invalid_request(format!("malformed JSON: {}", e.body_text_cause()))
        }
        JsonRejection::JsonDataError(e) => {
            ApiError::invalid_request(format!("invalid JSON body: {}", e.body_text_cause()))
        }
        JsonRejection::BytesRejection(_) => too_large(),
        other => ApiError::invalid_request(other.body_text()),
    }
}

pub struct Form<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(value)) => Ok(Form(value)),
            Err(FormRejection::InvalidFormContentType(_)) => {
                Err(ApiError::invalid_request("expected Content-Type: application/x-www-form-urlencoded"))
            }
            Err(FormRejection::FailedToDeserializeForm(e)) => {
                Err(ApiError::invalid_request(format!("invalid form: {}", e.body_text_cause())))
            }
            Err(FormRejection::FailedToDeserializeFormBody(e)) => {
                Err(ApiError::invalid_request(format!("invalid form body: {}", e.body_text_cause())))
            }
            Err(FormRejection::BytesRejection(_)) => Err(too_large()),
            Err(other) => Err(ApiError::invalid_request(other.body_text())),
        }
    }
}

/// The innermost cause of a serde error, without axum's prefix ("Failed to deserialize ...").
trait CauseText {
    fn body_text_cause(&self) -> String;
}

impl<E: std::error::Error> CauseText for E {
    fn body_text_cause(&self) -> String {
        let mut cause: &dyn std::error::Error = self;
        while let Some(next) = cause.source() {
            cause = next;
        }
        cause.to_string()
    }
}
