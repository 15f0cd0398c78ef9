// keygen, mint, digest: keys and tokens.

import { digestToken, generateKeyPair, mintToken } from "../../scopegate.js";

import { readToken, wantArgs } from "../args.js";
import { EXIT, UsageError } from "../errors.js";
import { writeAtomic } from "../files.js";
import { fields } from "../print.js";

export const keyCommands = {
  keygen: {
    usage: "keygen [--out <prefix>]",
    run({ args, opts, out }) {
      wantArgs("keygen", args, 0, "no arguments (--out <prefix> to write files)");
      // Typed keys: `build --key ci.pub` is then an error instead of a bundle nobody can verify.
      const pair = generateKeyPair({ typed: true });
      if (opts.out) {
        writeAtomic(`${opts.out}.key`, `${pair.privateKey}\n`, 0o600);
        writeAtomic(`${opts.out}.pub`, `${pair.publicKey}\n`);
        out({ publicKey: pair.publicKey, keyId: pair.keyId, privateKeyFile: `${opts.out}.key`, publicKeyFile: `${opts.out}.pub` }, (r) =>
          console.log(fields([["public key", r.publicKey], ["key id", r.keyId], ["wrote", `${r.privateKeyFile} (private: keep it secret) and ${r.publicKeyFile}`]], 13)));
      } else {
        out(pair, (r) => {
          console.log(fields([["public key", r.publicKey], ["private key", r.privateKey], ["key id", r.keyId]], 13));
          console.log("\nKeep the private key secret (CI secrets); give the public key to the edge.");
        });
      }
      return EXIT.ok;
    },
  },
  mint: {
    usage: "mint <kind>",
    run({ args, out }) {
      wantArgs("mint", args, 1, "one kind, e.g. `scopegate mint repository_access_token`");
      out(mintToken(args[0]), (m) => console.log(`token   ${m.token}\nsha256  ${m.sha256}\n\nShown once: store the token in a secret manager and only the sha256 in the state.`));
      return EXIT.ok;
    },
  },
  digest: {
    usage: "digest (--token-env <NAME> | --token -)",
    run({ args, opts, out }) {
      if (args.length > 1) throw new UsageError("digest needs one token: --token-env <NAME>, --token - (stdin), or the token");
      if (args.length === 1 && (opts.token !== undefined || opts.tokenEnv !== undefined)) throw new UsageError("give the token once");
      const token = args.length === 1 ? (args[0] === "-" ? readToken({ token: "-" }) : args[0]) : readToken(opts);
      if (token === undefined) throw new UsageError("digest needs a token: --token-env <NAME> or --token - (stdin)");
      out({ sha256: digestToken(token) }, (d) => console.log(d.sha256));
      return EXIT.ok;
    },
  },
};
