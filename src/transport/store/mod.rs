//! The store's side: a presigned PUT or POST form sent with
//! `XMLHttpRequest` for its upload progress ([`xhr`]), the headers a PUT
//! carries, the form's fields, and what a refusal means ([`refusal`]).

pub mod form_post;
pub mod put_headers;
pub mod refusal;
pub mod xhr;
