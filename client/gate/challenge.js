(function () {
  "use strict";
  // Anteroom's proof of work (anteroom.v1.Challenge): find n, 0 <= n <= max, with
  // hex(SHA-256(salt + n)) == challenge, then bring it back in a cookie and reload. Runs in
  // slices so the page stays responsive; no request leaves the page until it is solved.
  var box = document.getElementById("anteroom-challenge");
  if (!box) return;
  var salt = box.getAttribute("data-salt");
  var target = box.getAttribute("data-challenge");
  var signature = box.getAttribute("data-signature");
  var cookie = box.getAttribute("data-cookie");
  var max = Number(box.getAttribute("data-max-number"));
  var shown = document.getElementById("challenge-progress");
  var working = document.getElementById("challenge-working");
  if (working) working.hidden = false;

  var K = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);
  var W = new Int32Array(64);

  function hex(x) { return ("0000000" + (x >>> 0).toString(16)).slice(-8); }

  // SHA-256 of an ASCII string (the salt and the digits are ASCII), as lowercase hex.
  function sha256(text) {
    var n = text.length, blocks = ((n + 8) >> 6) + 1, words = new Int32Array(blocks * 16);
    for (var i = 0; i < n; i++) words[i >> 2] |= text.charCodeAt(i) << (24 - (i & 3) * 8);
    words[n >> 2] |= 0x80 << (24 - (n & 3) * 8);
    words[blocks * 16 - 1] = n * 8;
    var h0 = 0x6a09e667, h1 = 0xbb67ae85 | 0, h2 = 0x3c6ef372, h3 = 0xa54ff53a | 0,
        h4 = 0x510e527f, h5 = 0x9b05688c | 0, h6 = 0x1f83d9ab, h7 = 0x5be0cd19;
    for (var block = 0; block < blocks; block++) {
      var t, x, y;
      for (t = 0; t < 16; t++) W[t] = words[block * 16 + t];
      for (t = 16; t < 64; t++) {
        x = W[t - 15];
        y = W[t - 2];
        W[t] = (((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)) + W[t - 7] +
               (((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)) + W[t - 16] | 0;
      }
      var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7;
      for (t = 0; t < 64; t++) {
        var t1 = h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) +
                 ((e & f) ^ (~e & g)) + K[t] + W[t] | 0;
        var t2 = (((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) +
                 ((a & b) ^ (a & c) ^ (b & c)) | 0;
        h = g; g = f; f = e; e = d + t1 | 0; d = c; c = b; b = a; a = t1 + t2 | 0;
      }
      h0 = h0 + a | 0; h1 = h1 + b | 0; h2 = h2 + c | 0; h3 = h3 + d | 0;
      h4 = h4 + e | 0; h5 = h5 + f | 0; h6 = h6 + g | 0; h7 = h7 + h | 0;
    }
    return hex(h0) + hex(h1) + hex(h2) + hex(h3) + hex(h4) + hex(h5) + hex(h6) + hex(h7);
  }

  function solved(number) {
    var secure = location.protocol === "https:" ? "; Secure" : "";
    document.cookie = cookie + "=" + [salt, target, signature, number].join(".") +
                      "; Max-Age=600; Path=/; SameSite=Lax" + secure;
    location.reload();
  }

  var next = 0;
  function slice() {
    var end = Math.min(max, next + 20000);
    for (; next <= end; next++) {
      if (sha256(salt + next) === target) return solved(next);
    }
    if (next > max) return location.reload();  // not found (should not happen): a new one
    if (shown) shown.textContent = Math.floor(100 * next / (max + 1)) + "%";
    setTimeout(slice, 0);
  }
  slice();
})();
