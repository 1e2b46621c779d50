// The example lab's PostgreSQL CA (self-signed for the example; its key was not kept).
/** The CA that signs pg-prod.arcodange.lab's certificate: verify-full checks the server against it. */
export const PROD_PG_CA_PEM =
  '-----BEGIN CERTIFICATE-----\n' +
  'MIIBoTCCAUegAwIBAgIULHp9LrcgAbvHm9ybNA8YiyuwHxcwCgYIKoZIzj0EAwIw\n' +
  'JjEkMCIGA1UEAwwbYXJjb2RhbmdlIGxhYiBQb3N0Z3JlU1FMIENBMB4XDTI2MTEy\n' +
  'NjA2NTAzMloXDTM2MTEyMzA2NTAzMlowJjEkMCIGA1UEAwwbYXJjb2RhbmdlIGxh\n' +
  'YiBQb3N0Z3JlU1FMIENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEcbEYTet+\n' +
  'x2MR+cl7Zu5rJDmpmr9yLCkcejIZN3S/CAEQNKmkk5mwMQCOPHsQP83qCUwgDq7M\n' +
  'Kx9EjeTPp1HYjqNTMFEwHQYDVR0OBBYEFM1nUAhcqdUuprzMqXlvAYr3Ejz8MB8G\n' +
  'A1UdIwQYMBaAFM1nUAhcqdUuprzMqXlvAYr3Ejz8MA8GA1UdEwEB/wQFMAMBAf8w\n' +
  'CgYIKoZIzj0EAwIDSAAwRQIhAN76gx74vvfx4GF7b8z+rd294hmY0VGBAhV/c30w\n' +
  '9ECOAiA29MFMmRHp54HMEoUf2ommy2fzK/0pX0LOSsCe47yhaA==\n' +
  '-----END CERTIFICATE-----\n';
