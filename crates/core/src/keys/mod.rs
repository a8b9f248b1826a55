//! Where objects go: keys under each user's own prefix, the file types the
//! policy names, and file names made safe for a key.

pub mod file_type;
pub mod filename;
pub mod key_template;
pub mod object_key;
