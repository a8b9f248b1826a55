//! Everything the server says to an S3 store, sans-IO where it can be:
//!
//! - [`credentials`]: the key pair that signs;
//! - [`credentials_source`]: where it comes from per request: fixed keys,
//!   or temporary credentials ([`credentials_cache`], refreshed from a
//!   [`credentials_provider`]: the AWS default chain, [`aws_chain`]);
//! - [`signer`]: SigV4 presigning, for browsers (PUT, GET, UploadPart, POST
//!   forms) and for the server's own calls; [`signer_source`] keys it with
//!   the credentials of the moment;
//! - [`post_policy`]: the SigV4 POST policy document a form carries;
//! - [`bucket_cors_rule`]: the bucket CORS rule browsers need;
//! - [`store_client`]: the server's own calls over HTTP (HEAD, multipart,
//!   bucket CORS);
//! - [`xml`]: the little XML the store speaks.

pub mod aws_chain;
pub mod bucket_cors_rule;
pub mod credentials;
pub mod credentials_cache;
pub mod credentials_provider;
pub mod credentials_source;
pub mod post_policy;
pub mod signer;
pub mod signer_source;
pub mod store_client;
pub mod xml;
