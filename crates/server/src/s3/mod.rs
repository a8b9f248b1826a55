//! Everything the server says to an S3 store, sans-IO where it can be:
//!
//! - [`credentials`]: the key pair that signs;
//! - [`signer`]: SigV4 presigning, for browsers (PUT, GET, UploadPart, POST
//!   forms) and for the server's own calls;
//! - [`post_policy`]: the SigV4 POST policy document a form carries;
//! - [`bucket_cors_rule`]: the bucket CORS rule browsers need;
//! - [`store_client`]: the server's own calls over HTTP (HEAD, multipart,
//!   bucket CORS);
//! - [`xml`]: the little XML the store speaks.

pub mod bucket_cors_rule;
pub mod credentials;
pub mod post_policy;
pub mod signer;
pub mod store_client;
pub mod xml;
