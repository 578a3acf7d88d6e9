// The demo page's behaviour. More sections arrive with the client and server issues.
const $ = (id) => document.getElementById(id);

function showError(error) {
  $('error').hidden = false;
  $('error').textContent = error?.code ? `${error.code}: ${error.message}` : `Could not load wasm-auth: ${error}`;
}

try {
  const { createPkce, version } = await import('wasm-auth');
  $('version').textContent = version();
  $('pkce-generate').addEventListener('click', () => {
    try {
      const pair = createPkce();
      $('pkce-verifier').textContent = pair.codeVerifier;
      $('pkce-challenge').textContent = pair.codeChallenge;
      $('pkce-method').textContent = pair.codeChallengeMethod;
      $('pkce-result').hidden = false;
    } catch (error) {
      showError(error);
    }
  });
} catch (error) {
  $('version').textContent = 'unavailable';
  showError(error);
}
