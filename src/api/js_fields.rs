//! Reading fields of a JavaScript options object, forgivingly: `undefined`
//! and `null` mean "not given", and every wrong type is a `bad_request`
//! naming the option. Shared by every options reader.

use crate::error::UploadError;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortSignal, Blob};

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

/// `obj[name]` as a boolean; absent is `default`.
pub fn bool_field_or(obj: &JsValue, name: &str, default: bool) -> Result<bool, UploadError> {
    match field(obj, name)? {
        None => Ok(default),
        Some(_) => bool_field(obj, name),
    }
}

/// `obj[name]` as a function, if given.
pub fn function_field(obj: &JsValue, name: &str) -> Result<Option<js_sys::Function>, UploadError> {
    field(obj, name)?
        .map(|v| {
            v.dyn_into::<js_sys::Function>()
                .map_err(|_| UploadError::bad_request(format!("options.{name} must be a function")))
        })
        .transpose()
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

/// A `Blob` or `File`, duck-typed so blobs from another realm pass too.
pub fn as_blob(file: JsValue) -> Result<Blob, UploadError> {
    if file.is_instance_of::<Blob>() {
        return Ok(file.unchecked_into());
    }
    let has = |name: &str, check: fn(&JsValue) -> bool| {
        js_sys::Reflect::get(&file, &JsValue::from_str(name)).is_ok_and(|v| check(&v))
    };
    if file.is_object()
        && has("slice", JsValue::is_function)
        && has("size", |v| v.as_f64().is_some())
    {
        Ok(file.unchecked_into())
    } else {
        Err(UploadError::bad_request(
            "upload() needs a File or Blob as its first argument",
        ))
    }
}
