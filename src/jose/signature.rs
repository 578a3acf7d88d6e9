//! Checks on a signature's shape before any cryptography: its length for the algorithm and,
//! for ECDSA, that r and s lie in [1, n-1]. The range check is what CVE-2022-21449
//! ("psychic signatures", r = s = 0 accepted by Java 15-18) lacked; WebCrypto implementations
//! check it too, but the verifier does not rely on that.

use super::alg::{Alg, SignatureShape};
use crate::Error;

/// 1 <= value <= n - 1, for a big-endian value as long as n.
fn in_scalar_range(value: &[u8], n: &[u8]) -> bool {
    value.iter().any(|b| *b != 0) && value < n
}

/// Rejects a signature that cannot be valid for `alg`; `rsa_modulus_len` is the key's modulus
/// length in bytes (RSA signatures are exactly that long).
pub fn check_shape(alg: Alg, signature: &[u8], rsa_modulus_len: Option<usize>) -> Result<(), Error> {
    let ok = match alg.row().signature {
        SignatureShape::Bytes(len) => signature.len() == len,
        SignatureShape::RsaModulus => Some(signature.len()) == rsa_modulus_len,
        SignatureShape::EcdsaScalars(curve) => {
            let len = curve.coordinate_len();
            signature.len() == 2 * len && {
                let (r, s) = signature.split_at(len);
                in_scalar_range(r, curve.order()) && in_scalar_range(s, curve.order())
            }
        }
    };
    if ok { Ok(()) } else { Err(Error::SignatureVerificationFailed) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::alg::Curve;

    #[test]
    fn psychic_signatures_and_out_of_range_scalars_are_refused() {
        for (alg, curve) in [(Alg::Es256, Curve::P256), (Alg::Es384, Curve::P384), (Alg::Es512, Curve::P521)] {
            let len = curve.coordinate_len();
            let zero = vec![0u8; 2 * len];
            assert!(check_shape(alg, &zero, None).is_err(), "r = s = 0");
            let n = curve.order();
            let mut r_is_n = n.to_vec();
            r_is_n.extend(std::iter::repeat_n(1u8, len));
            assert!(check_shape(alg, &r_is_n, None).is_err(), "r = n");
            let mut one = vec![0u8; 2 * len];
            one[len - 1] = 1;
            one[2 * len - 1] = 1;
            assert!(check_shape(alg, &one, None).is_ok(), "r = s = 1 is in range");
            let mut n_minus_1 = n.to_vec();
            n_minus_1[len - 1] -= 1;
            let both = [n_minus_1.clone(), n_minus_1].concat();
            assert!(check_shape(alg, &both, None).is_ok(), "r = s = n - 1 is in range");
            assert!(check_shape(alg, &one[1..], None).is_err(), "wrong length");
        }
    }

    #[test]
    fn lengths_per_family() {
        assert!(check_shape(Alg::Hs256, &[0; 32], None).is_ok());
        assert!(check_shape(Alg::Hs256, &[0; 31], None).is_err());
        assert!(check_shape(Alg::Hs512, &[0; 64], None).is_ok());
        assert!(check_shape(Alg::EdDsa, &[0; 64], None).is_ok());
        assert!(check_shape(Alg::EdDsa, &[0; 65], None).is_err());
        assert!(check_shape(Alg::Rs256, &[0; 256], Some(256)).is_ok());
        assert!(check_shape(Alg::Ps256, &[0; 255], Some(256)).is_err());
        assert!(check_shape(Alg::Rs256, &[0; 256], None).is_err());
    }
}
