// REPLACE with the PEM of the CA that signs your prod server's certificate: verify-full checks the server against it.
/** A placeholder CA (self-signed, its key discarded): until replaced, no real server verifies. */
export const PROD_PG_CA_PEM =
  '-----BEGIN CERTIFICATE-----\n' +
  'MIIBlzCCAT2gAwIBAgIUetXeiY6WBdykstrEseP2yjpANe8wCgYIKoZIzj0EAwIw\n' +
  'ITEfMB0GA1UEAwwWYWNtZSBsYWIgUG9zdGdyZVNRTCBDQTAeFw0yNjExMjYwNjUw\n' +
  'MzJaFw0zNjExMjMwNjUwMzJaMCExHzAdBgNVBAMMFmFjbWUgbGFiIFBvc3RncmVT\n' +
  'UUwgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAT+m39z2wXVjwydvVG96JrU\n' +
  'PDb1QuSxlVIBvWA6DJnq13K0LlFe19cGzrSSUmBXefE9XZB1xJ9ORFU8Sj/2nwie\n' +
  'o1MwUTAdBgNVHQ4EFgQUq1vw7LDWa6ozkn6cSB+vv0Ll7LgwHwYDVR0jBBgwFoAU\n' +
  'q1vw7LDWa6ozkn6cSB+vv0Ll7LgwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQD\n' +
  'AgNIADBFAiBNtm3klU9Mr42cF1yL25kJhKAHOi4u8sPlJGmanzVD0wIhAOOqkRPP\n' +
  '7XRw9+6KNOmE/6XLZHIqziFy0ezOUJS1ylJr\n' +
  '-----END CERTIFICATE-----\n';
