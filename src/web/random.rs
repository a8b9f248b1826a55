//! Randomness: a fresh `client_token` for each multipart create
//! ([`presign_core::protocol::client_token`], sent with every attempt of the
//! request, so a retry after a lost answer gets the upload the first
//! attempt created), and the seed of the backoff's jitter.

use presign_core::protocol::client_token::ClientToken;
use presign_core::upload::retry_policy::SplitMix64;
use wasm_bindgen::JsCast;

/// 128 random bits from `crypto.getRandomValues` (in every page, secure or
/// not, and in workers); `Math.random()` where there is no `crypto` at all
/// (the token only needs to differ from the caller's other tokens).
pub fn client_token() -> ClientToken {
    let mut bytes = [0u8; 16];
    let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into())
        .ok()
        .filter(|c| c.is_object())
        .map(|c| c.unchecked_into::<web_sys::Crypto>());
    let filled = crypto.is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    ClientToken::from_random(bytes)
}

/// A jitter source seeded from `Math.random()` (jitter needs spread, not secrecy).
pub fn seeded_rng() -> SplitMix64 {
    let high = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let low = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    SplitMix64::new((high << 32) | low)
}
