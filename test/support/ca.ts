// A throwaway self-signed CA certificate (openssl, EC P-256) for test estates whose prod server is verify-full.
/** The PEM of the test estates' PostgreSQL CA (no key is kept: nothing is signed with it). */
export const TEST_CA_PEM =
  '-----BEGIN CERTIFICATE-----\n' +
  'MIIBljCCAT2gAwIBAgIULyS27AB5qF3i+cgdQ37Zh9nj7tMwCgYIKoZIzj0EAwIw\n' +
  'ITEfMB0GA1UEAwwWdGVzdCBsYWIgUG9zdGdyZVNRTCBDQTAeFw0yNjExMjYwNjUw\n' +
  'MzJaFw0zNjExMjMwNjUwMzJaMCExHzAdBgNVBAMMFnRlc3QgbGFiIFBvc3RncmVT\n' +
  'UUwgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATcUGJ6/NmjS26rqi8flw9Y\n' +
  'XevDBhLNeiOIAkZI7jKpTYL8+YvMGg6PcEVRdy/cNcoYsxNmlih0CvOuXkGTo0SR\n' +
  'o1MwUTAdBgNVHQ4EFgQUzThzYPBrgF52ThlmL6paZHJ2hHgwHwYDVR0jBBgwFoAU\n' +
  'zThzYPBrgF52ThlmL6paZHJ2hHgwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQD\n' +
  'AgNHADBEAiAeU7QotPmEgpjd1DVT4pa8aBVB2Aj74f5rtG8apqL2AgIgDImDuaVt\n' +
  'ME/cQ27HDEKaYmNBR2a1sF0r2imoZMVGeXo=\n' +
  '-----END CERTIFICATE-----\n';
