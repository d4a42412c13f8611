{# riikSign(file, text): the hex Ed25519 signature of text with the PKCS#8 PEM key in file (as riik_client keygen writes it). WebCrypto: the key never leaves the browser. Included inside a <script> by the e-ID sign-in and the notary's endorsement. #}
async function riikSign(file, text) {
  const pem = await new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsText(file);
  });
  const body = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, "").replace(/\s+/g, "");
  const raw = atob(body);
  const der = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) der[i] = raw.charCodeAt(i);
  const key = await crypto.subtle.importKey("pkcs8", der, {name: "Ed25519"}, false, ["sign"]);
  const signature = await crypto.subtle.sign({name: "Ed25519"}, key, new TextEncoder().encode(text));
  return Array.from(new Uint8Array(signature), (b) => b.toString(16).padStart(2, "0")).join("");
}
