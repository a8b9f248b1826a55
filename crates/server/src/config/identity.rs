//! The identity settings: how the server learns who calls it (JWT key
//! sources: a secret, a PEM key, a JWKS file or URL; each bound to its
//! issuer, with their audiences), resolved from flags, environment and the
//! file's `[identity]`; several issuers come from the file's
//! `[[identity.issuers]]` ([`super::issuers`]). [`crate::auth`] loads the
//! keys they name.
//!
//! Refused at start: public keys without an audience (tokens the identity
//! provider issues for any other application would be accepted) unless
//! `--jwt-any-audience` says every token of the provider is meant for this
//! server; a leeway over [`MAX_JWT_LEEWAY_SECS`]; `--jwt-issuer` naming
//! several issuers that would share one set of keys and one namespace.
//! A shared secret needs no audience: only this server and the token
//! minter hold it, so no other application's tokens verify with it; an
//! audience, when configured, is checked all the same.

use super::error::ConfigError;
use super::file::FileIdentity;
use super::issuers;
use super::jwt_issuer::{list, IssuerConfig, JwtKeySource};
use super::sources::{non_blank, Env};
use crate::cli::FileBackedArgs;
use crate::secret::Secret;
use std::path::{Path, PathBuf};

/// Default clock skew tolerated on `exp` and `nbf`.
pub const DEFAULT_JWT_LEEWAY_SECS: u64 = 30;
/// Largest clock skew accepted: five minutes (a longer one accepts tokens
/// long expired).
pub const MAX_JWT_LEEWAY_SECS: u64 = 300;

/// How the server learns who calls it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityConfig {
    /// `--dev` with no JWT settings: every request is the user `dev`.
    DevUser,
    /// Bearer JWTs.
    Jwt(JwtConfig),
}

/// Bearer JWT verification settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtConfig {
    /// Who issues tokens, each with its own keys: one (the flags,
    /// environment or `[identity]`) or several (`[[identity.issuers]]`).
    /// A token is verified only with the keys of its `iss`.
    pub issuers: Vec<IssuerConfig>,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds (at most
    /// [`MAX_JWT_LEEWAY_SECS`]).
    pub leeway_secs: u64,
}

/// The identity: the JWT issuers with their keys and audiences; without
/// one, the dev user when `dev`, else an error. `base`: the file's folder,
/// where its paths start.
pub fn resolve(
    dev: bool,
    args: &FileBackedArgs,
    env: &Env<'_>,
    file: FileIdentity,
    base: &Path,
) -> Result<IdentityConfig, ConfigError> {
    let key = key_source(args, env, &file, base)?;
    let audience = list(env.layer_with(
        args.jwt_audience.clone(),
        "PRESIGN_JWT_AUDIENCE",
        Ok,
        file.jwt_audience,
    )?);
    let issuer = env.layer_with(
        args.jwt_issuer.clone(),
        "PRESIGN_JWT_ISSUER",
        Ok,
        file.jwt_issuer,
    )?;
    let any_audience = env
        .layer(
            args.jwt_any_audience.then_some(true),
            "PRESIGN_JWT_ANY_AUDIENCE",
            "true or false",
            file.jwt_any_audience,
        )?
        .unwrap_or(false);
    if any_audience && !audience.is_empty() {
        return Err(ConfigError::AudienceAndAnyAudience);
    }
    let leeway_secs = file.jwt_leeway.unwrap_or(DEFAULT_JWT_LEEWAY_SECS);
    if leeway_secs > MAX_JWT_LEEWAY_SECS {
        return Err(ConfigError::LongLeeway {
            got: leeway_secs,
            max: MAX_JWT_LEEWAY_SECS,
        });
    }
    let from_file = !file.issuers.is_empty();
    let issuers = match (key, from_file) {
        (None, false) if dev => return Ok(IdentityConfig::DevUser),
        (None, false) => return Err(ConfigError::NoIdentity),
        (Some(key), false) => vec![one_issuer(key, audience, issuer)?],
        (None, true) if issuer.is_some() => return Err(ConfigError::IssuerBothWays),
        (None, true) => issuers::resolve(file.issuers, &audience, base)?,
        (Some(_), true) => return Err(ConfigError::KeysBothWays),
    };
    for issuer in &issuers {
        if issuer.key.is_public() && issuer.audience.is_empty() && !any_audience {
            let named = from_file.then(|| issuer.issuer.clone()).flatten();
            return Err(ConfigError::NoAudience(named));
        }
    }
    Ok(IdentityConfig::Jwt(JwtConfig {
        issuers,
        leeway_secs,
    }))
}

/// The key source of the flags, environment and `[identity]`, if any: at
/// most one. `base`: the file's folder, where its paths start.
fn key_source(
    args: &FileBackedArgs,
    env: &Env<'_>,
    file: &FileIdentity,
    base: &Path,
) -> Result<Option<JwtKeySource>, ConfigError> {
    let path = |text: String| Ok(PathBuf::from(text));
    let in_file = |p: &Option<PathBuf>| p.as_ref().map(|p| base.join(p));
    let secret = env.layer_with(
        args.jwt_secret.clone(),
        "PRESIGN_JWT_SECRET",
        |text| Ok(Secret::new(text)),
        file.jwt_secret.clone().map(Secret::new),
    )?;
    let public_key = env.layer_with(
        args.jwt_public_key.clone(),
        "PRESIGN_JWT_PUBLIC_KEY",
        path,
        in_file(&file.jwt_public_key),
    )?;
    let jwks = env.layer_with(
        args.jwt_jwks.clone(),
        "PRESIGN_JWT_JWKS",
        path,
        in_file(&file.jwt_jwks),
    )?;
    let jwks_url = env.layer_with(
        non_blank(args.jwt_jwks_url.clone()),
        "PRESIGN_JWT_JWKS_URL",
        Ok,
        file.jwt_jwks_url.clone(),
    )?;
    JwtKeySource::one_of(secret, public_key, jwks, jwks_url)
}

/// The issuer of the flags (environment, `[identity]`): its users keep
/// `users/{sub}/`. `--jwt-issuer` names one issuer: several would share
/// one key set and one namespace.
fn one_issuer(
    key: JwtKeySource,
    audience: Vec<String>,
    issuer: Option<String>,
) -> Result<IssuerConfig, ConfigError> {
    let issuer = issuer
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty());
    if let Some(text) = issuer.as_deref().filter(|text| text.contains(',')) {
        return Err(ConfigError::SeveralIssuers(text.to_owned()));
    }
    Ok(IssuerConfig {
        key,
        audience,
        issuer,
        label: None,
    })
}
