//! What a `fetch` that carries a credential does with a redirect answer: one policy per kind of
//! credential, which the web layer hands to shim.js's `sendCredentialed` (the one send of every
//! credentialed fetch: TokenManager, ApiKeyAuth, SessionClient, ClientCredentials).
//!
//! Whatever the policy, a credential goes only where the caller trusted it: the first request
//! is refused before anything is sent when its origin is not trusted, and a hop is only ever
//! sent after the same check. Browsers hide where a redirect points, so there no policy follows
//! one (`sendCredentialed` refuses it: nobody could check it).

/// A credentialed fetch's policy for a redirect answer.
/// Its number is the one shim.js's `sendCredentialed` reads (`FOLLOW`, `REFUSE`, `ANSWER`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Redirects {
    /// Followed only to a trusted origin, each hop checked before the credential is sent again,
    /// at most 5 hops; a redirect elsewhere is ERR_AUTH_HTTP. The caller's own `redirect` mode
    /// still counts: `'manual'` gets the redirect answer, `'error'` makes it ERR_AUTH_HTTP.
    FollowTrusted = 0,
    /// Every redirect is ERR_AUTH_HTTP: a DPoP proof is made for one URL (`htu`, `htm`, a
    /// one-time `jti`), so no hop could use it.
    Refuse = 1,
    /// The redirect is the caller's answer, never followed: the credential goes nowhere but the
    /// request's own URL.
    Answer = 2,
}

impl Redirects {
    /// The policy of a request with an access token: a DPoP-bound one follows no redirect; a
    /// Bearer one follows a redirect to a trusted origin, unless the client never follows any
    /// (`ClientCredentials`, whose `fetch` returns a redirect as the answer, bound or not).
    pub fn for_token(bound: bool, follows: bool) -> Redirects {
        match (follows, bound) {
            (false, _) => Redirects::Answer,
            (true, true) => Redirects::Refuse,
            (true, false) => Redirects::FollowTrusted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bound_token_follows_no_redirect() {
        assert_eq!(Redirects::for_token(true, true), Redirects::Refuse);
        assert_eq!(Redirects::for_token(false, true), Redirects::FollowTrusted);
    }

    #[test]
    fn a_client_that_follows_none_answers_with_the_redirect_bound_or_not() {
        assert_eq!(Redirects::for_token(true, false), Redirects::Answer);
        assert_eq!(Redirects::for_token(false, false), Redirects::Answer);
    }

    #[test]
    fn numbers_are_the_ones_shim_js_reads() {
        let shim = include_str!("../web/shim.js");
        let numbered = format!(
            "const [FOLLOW, REFUSE, ANSWER] = [{}, {}, {}];",
            Redirects::FollowTrusted as u8,
            Redirects::Refuse as u8,
            Redirects::Answer as u8
        );
        assert!(shim.contains(&numbered), "shim.js does not read {numbered}");
    }
}
