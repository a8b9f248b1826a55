//! Reading fields of a JavaScript options object, forgivingly: `undefined`
//! and `null` mean "not given", and every wrong type is a `bad_request`
//! naming the option. Shared by every options reader.

use crate::upload_error::UploadError;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortSignal;

pub fn is_absent(value: &JsValue) -> bool {
    value.is_undefined() || value.is_null()
}

/// `obj[name]`, with `undefined` and `null` as `None`.
pub fn field(obj: &JsValue, name: &str) -> Result<Option<JsValue>, UploadError> {
    let value = js_sys::Reflect::get(obj, &JsValue::from_str(name))
        .map_err(|_| UploadError::bad_request(format!("could not read options.{name}")))?;
    Ok((!is_absent(&value)).then_some(value))
}

/// `obj[name]` as a string, if given.
pub fn string_field(obj: &JsValue, name: &str) -> Result<Option<String>, UploadError> {
    field(obj, name)?
        .map(|v| {
            v.as_string()
                .ok_or_else(|| UploadError::bad_request(format!("options.{name} must be a string")))
        })
        .transpose()
}

/// `obj[name]` as a boolean; absent is `false`.
pub fn bool_field(obj: &JsValue, name: &str) -> Result<bool, UploadError> {
    match field(obj, name)? {
        None => Ok(false),
        Some(v) => v.as_bool().ok_or_else(|| {
            UploadError::bad_request(format!("options.{name} must be true or false"))
        }),
    }
}

/// `obj[name]` as a whole number in `min..=max`, if given.
pub fn integer_field(
    obj: &JsValue,
    name: &str,
    min: u64,
    max: u64,
) -> Result<Option<u64>, UploadError> {
    let Some(value) = field(obj, name)? else {
        return Ok(None);
    };
    let bad = || {
        UploadError::bad_request(format!(
            "options.{name} must be a whole number from {min} to {max}"
        ))
    };
    let n = value.as_f64().ok_or_else(bad)?;
    // Whole numbers up to 2^53 are exact in f64.
    if !(n.is_finite() && n.fract() == 0.0 && n >= min as f64 && n <= max as f64) {
        return Err(bad());
    }
    Ok(Some(n as u64))
}

/// Any object that behaves like an `AbortSignal` (duck-typed, so signals from
/// another realm or a polyfill work too).
pub fn read_signal(value: JsValue) -> Result<AbortSignal, UploadError> {
    let looks_right = js_sys::Reflect::get(&value, &"aborted".into())
        .is_ok_and(|v| v.as_bool().is_some())
        && js_sys::Reflect::get(&value, &"addEventListener".into()).is_ok_and(|v| v.is_function());
    if looks_right {
        Ok(value.unchecked_into())
    } else {
        Err(UploadError::bad_request(
            "options.signal must be an AbortSignal",
        ))
    }
}
