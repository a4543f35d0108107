// Signs the SOAP envelope on standard input the way a node-soap client does
// (WSSecurityCert: BinarySecurityToken, Timestamp, signature over Timestamp
// and Body, RSA-SHA256/SHA-256) and prints it. The SAML assertion ANPR also
// wants is added afterwards by `urna wss add-assertion`.
//
//   node sign.js STATION.key STATION.crt < envelope.xml > signed.xml
'use strict';
const fs = require('fs');
const { WSSecurityCert } = require('soap');

const [keyFile, certFile] = process.argv.slice(2);
if (!keyFile || !certFile) {
  process.stderr.write('usage: node sign.js KEY.pem CERT.pem < envelope.xml\n');
  process.exit(2);
}
let xml = fs.readFileSync(0, 'utf8');
// WSSecurityCert inserts wsse:Security before `</soap:Header>`: give it one.
xml = xml.replace('<soap:Header/>', '<soap:Header></soap:Header>');
if (!xml.includes('</soap:Header>')) {
  xml = xml.replace('<soap:Body', '<soap:Header></soap:Header><soap:Body');
}
const security = new WSSecurityCert(fs.readFileSync(keyFile), fs.readFileSync(certFile), '', {
  hasTimeStamp: true,
  signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
});
process.stdout.write(security.postProcess(xml, 'soap'));
