// An independent WS-Security peer for urna, on Apache WSS4J 1.6 (Debian's
// libwss4j-java) and Santuario: verifies urna's signed responses with a
// coverage check, and measures WSS4J verifying and signing the messages of
// urna's security micro-benchmark (scripts/bench.sh).
//
//   verify FILE CERT.pem    exit 0 when the message signature verifies with
//                           CERT (direct trust) and covers exactly the
//                           soap:Body and the wsu:Timestamp of wsse:Security
//   bench DIR [ROUNDS]      DIR from `urna-loadgen --wss-micro`: verify every
//                           req-*.xml (station CA trust, coverage, and the
//                           assertion's enveloped signature by the same key),
//                           sign every resp-*.xml with the service key; prints
//                           microseconds per verify and per sign
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.StringWriter;
import java.nio.file.Files;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.apache.ws.security.WSConstants;
import org.apache.ws.security.WSDataRef;
import org.apache.ws.security.WSEncryptionPart;
import org.apache.ws.security.WSSConfig;
import org.apache.ws.security.WSSecurityEngine;
import org.apache.ws.security.WSSecurityEngineResult;
import org.apache.ws.security.WSSecurityException;
import org.apache.ws.security.components.crypto.Merlin;
import org.apache.ws.security.handler.RequestData;
import org.apache.ws.security.message.WSSecHeader;
import org.apache.ws.security.message.WSSecSignature;
import org.apache.ws.security.message.WSSecTimestamp;
import org.apache.ws.security.processor.Processor;
import org.apache.xml.security.signature.XMLSignature;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

public class UrnaWss4jPeer {
    static final String SOAP = "http://schemas.xmlsoap.org/soap/envelope/";
    static final String SAML2 = "urn:oasis:names:tc:SAML:2.0:assertion";
    static final char[] PASS = "urna".toCharArray();

    public static void main(String[] a) throws Exception {
        // WSS4J logs through commons-logging to java.util.logging: errors only.
        Logger.getLogger("").setLevel(Level.SEVERE);
        for (var h : Logger.getLogger("").getHandlers()) h.setLevel(Level.SEVERE);
        if (a.length == 3 && a[0].equals("verify")) {
            try {
                X509Certificate cert = pemCert(new File(a[2]));
                String subject = Pattern.quote(cert.getSubjectX500Principal().getName());
                RequestData data = request(store(cert, null, null), subject, 300);
                verify(parse(Files.readAllBytes(new File(a[1]).toPath())), engine(data), data, cert);
                System.out.println("OK: signed by " + cert.getSubjectX500Principal() + ", covering the Body and the Timestamp");
            } catch (Exception e) {
                System.out.println("REJECTED: " + e);
                System.exit(1);
            }
        } else if ((a.length == 2 || a.length == 3) && a[0].equals("bench")) {
            bench(new File(a[1]), a.length == 3 ? Integer.parseInt(a[2]) : 3);
        } else {
            System.err.println("usage: verify FILE CERT.pem | bench DIR [ROUNDS]");
            System.exit(2);
        }
    }

    static WSSConfig config() {
        WSSConfig cfg = WSSConfig.getNewInstance();
        // No OpenSAML in Debian: WSS4J skips the assertion, whose enveloped
        // signature is checked with Santuario below.
        cfg.setProcessor(WSSecurityEngine.SAML2_TOKEN, (Processor) null);
        return cfg;
    }

    static WSSecurityEngine engine(RequestData data) {
        WSSecurityEngine e = new WSSecurityEngine();
        e.setWssConfig(data.getWssConfig());
        return e;
    }

    /// Trust in `crypto`, a constraint on the signer's subject (RFC 2253), and
    /// the age a Timestamp may have (seconds).
    static RequestData request(Merlin crypto, String subjectRegex, int timestampTtl) {
        WSSConfig cfg = config();
        cfg.setTimeStampTTL(timestampTtl);
        RequestData d = new RequestData();
        d.setWssConfig(cfg);
        d.setSigCrypto(crypto);
        d.setSubjectCertConstraints(List.of(Pattern.compile(subjectRegex)));
        return d;
    }

    /// Verifies wsse:Security of doc; signer must be `expected` when given.
    /// Returns wsse:Security.
    static Element verify(Document doc, WSSecurityEngine engine, RequestData data, X509Certificate expected) throws Exception {
        Element env = doc.getDocumentElement();
        Element body = child(env, SOAP, "Body");
        Element sec = child(child(env, SOAP, "Header"), WSConstants.WSSE_NS, "Security");
        if (sec == null) throw new Exception("no soap:Header/wsse:Security");
        Element ts = child(sec, WSConstants.WSU_NS, "Timestamp");
        List<WSSecurityEngineResult> results = engine.processSecurityHeader(sec, data);
        X509Certificate signer = null;
        int signatures = 0;
        boolean coversBody = false, coversTs = false;
        for (WSSecurityEngineResult r : results == null ? List.<WSSecurityEngineResult>of() : results) {
            if (((Integer) r.get(WSSecurityEngineResult.TAG_ACTION)) != WSConstants.SIGN) continue;
            signatures++;
            signer = (X509Certificate) r.get(WSSecurityEngineResult.TAG_X509_CERTIFICATE);
            @SuppressWarnings("unchecked")
            List<WSDataRef> refs = (List<WSDataRef>) r.get(WSSecurityEngineResult.TAG_DATA_REF_URIS);
            for (WSDataRef ref : refs) {
                // Coverage by node identity: the elements at the paths, not
                // whatever carries the id (signature wrapping).
                Element p = ref.getProtectedElement();
                if (p == body) coversBody = true;
                else if (p == ts && ts != null) coversTs = true;
                else throw new Exception("the signature covers " + p.getLocalName() + " elsewhere in the message");
            }
        }
        if (signatures != 1) throw new Exception(signatures + " message signatures; one expected");
        if (!coversBody) throw new Exception("coverage: /soap:Envelope/soap:Body is not signed");
        if (!coversTs) throw new Exception("coverage: wsse:Security/wsu:Timestamp is not signed");
        if (expected != null && !expected.equals(signer)) throw new Exception("signed by " + signer.getSubjectX500Principal());
        Element assertion = child(sec, SAML2, "Assertion");
        if (assertion != null) verifyAssertion(assertion, signer);
        return sec;
    }

    /// The assertion's enveloped signature, with the message signer's key.
    static void verifyAssertion(Element assertion, X509Certificate signer) throws Exception {
        assertion.setIdAttributeNS(null, "ID", true);
        Element s = child(assertion, "http://www.w3.org/2000/09/xmldsig#", "Signature");
        if (s == null) throw new Exception("the assertion is not signed");
        XMLSignature xs = new XMLSignature(s, "", true);
        if (xs.getSignedInfo().getLength() != 1
                || !xs.getSignedInfo().item(0).getURI().equals("#" + assertion.getAttributeNS(null, "ID")))
            throw new Exception("the assertion signature does not reference its assertion");
        X509Certificate c = xs.getKeyInfo().getX509Certificate();
        if (!signer.equals(c)) throw new Exception("the assertion is signed by another certificate");
        if (!xs.checkSignatureValue(c)) throw new Exception("the assertion signature does not verify");
    }

    static void bench(File dir, int rounds) throws Exception {
        // The station CA, and urna's subject rule for workstations.
        RequestData trust = request(store(pemCert(new File(dir, "ca.crt")), null, null),
                "CN=\\d{6}-(CO|PC)-\\d{4},(.*,)?OU=Postazioni di lavoro(,.*)?", 3600);
        X509Certificate serviceCert = pemCert(new File(dir, "service.crt"));
        Merlin signing = store(serviceCert, pemKey(new File(dir, "service.key")), serviceCert);
        WSSecurityEngine engine = engine(trust);
        List<byte[]> requests = files(dir, "req-"), responses = files(dir, "resp-");
        Transformer out = TransformerFactory.newInstance().newTransformer();
        long verify = 0, sign = 0;
        int n = 0, m = 0;
        // Two untimed rounds for the JIT, then `rounds` timed ones.
        for (int round = -2; round < rounds; round++) {
            long t0 = System.nanoTime();
            for (byte[] r : requests) verify(parse(r), engine, trust, null);
            long t1 = System.nanoTime();
            for (byte[] r : responses) if (sign(parse(r), signing, out).isEmpty()) throw new Exception("empty");
            long t2 = System.nanoTime();
            if (round >= 0) {
                verify += t1 - t0;
                sign += t2 - t1;
                n += requests.size();
                m += responses.size();
            }
        }
        System.out.printf("WSS4J 1.6.19 (Java %s, 1 thread): verify %.1f µs/request (%d), sign %.1f µs/response (%d)%n",
                System.getProperty("java.version"), verify / 1e3 / n, n, sign / 1e3 / m, m);
        System.out.printf("RESULT op=wss-micro side=wss4j verify_us=%.1f sign_us=%.1f%n", verify / 1e3 / n, sign / 1e3 / m);
    }

    /// urna's response profile: Timestamp, BinarySecurityToken, RSA-SHA1 over
    /// Timestamp and Body, exc-c14n.
    static String sign(Document doc, Merlin crypto, Transformer serializer) throws Exception {
        WSSecHeader header = new WSSecHeader();
        header.setMustUnderstand(true);
        header.insertSecurityHeader(doc);
        WSSecTimestamp ts = new WSSecTimestamp();
        ts.setTimeToLive(300);
        ts.build(doc, header);
        WSSecSignature sig = new WSSecSignature();
        sig.setUserInfo("service", "urna");
        sig.setKeyIdentifierType(WSConstants.BST_DIRECT_REFERENCE);
        sig.setSignatureAlgorithm(WSConstants.RSA_SHA1);
        sig.setDigestAlgo(WSConstants.SHA1);
        sig.setParts(new ArrayList<>(Arrays.asList(
                new WSEncryptionPart("Body", SOAP, ""), new WSEncryptionPart("Timestamp", WSConstants.WSU_NS, ""))));
        sig.build(doc, crypto, header);
        StringWriter out = new StringWriter();
        serializer.transform(new DOMSource(doc), new StreamResult(out));
        return out.toString();
    }

    static Merlin store(X509Certificate trusted, PrivateKey key, X509Certificate keyCert) throws Exception {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("trusted", trusted);
        // The private key is decrypted from the keystore once and kept, as
        // urna keeps its key (a PKCS#12 entry costs a PBKDF2 run per use).
        Merlin m = new Merlin() {
            @Override
            public PrivateKey getPrivateKey(String alias, String password) throws WSSecurityException {
                if (key != null && "service".equals(alias)) return key;
                return super.getPrivateKey(alias, password);
            }
        };
        m.setTrustStore(ts);
        if (key != null) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("service", key, PASS, new java.security.cert.Certificate[] {keyCert});
            m.setKeyStore(ks);
        } else {
            m.setKeyStore(ts);
        }
        return m;
    }

    static List<byte[]> files(File dir, String prefix) throws Exception {
        File[] fs = dir.listFiles((d, name) -> name.startsWith(prefix) && name.endsWith(".xml"));
        Arrays.sort(fs);
        List<byte[]> out = new ArrayList<>();
        for (File f : fs) out.add(Files.readAllBytes(f.toPath()));
        if (out.isEmpty()) throw new Exception("no " + prefix + "*.xml in " + dir);
        return out;
    }

    static Document parse(byte[] xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml));
    }

    static Element child(Element parent, String ns, String local) {
        if (parent == null) return null;
        for (Node c = parent.getFirstChild(); c != null; c = c.getNextSibling())
            if (c instanceof Element && local.equals(c.getLocalName()) && ns.equals(c.getNamespaceURI())) return (Element) c;
        return null;
    }

    static X509Certificate pemCert(File f) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(Files.readAllBytes(f.toPath())));
    }

    static PrivateKey pemKey(File f) throws Exception {
        String pem = new String(Files.readAllBytes(f.toPath())).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
    }
}
