package mailer

import (
	"fmt"
	"io"
	"os"
	"strings"

	"filippo.io/age"

	"github.com/ispacct/ispacct/atomicfile"
)

// EncryptedSuffix is added to an archive's name when it is encrypted.
const EncryptedSuffix = ".age"

// AgeRecipients parses age public keys given one by one and in a file
// (one a line, # comments), for EncryptFile.
func AgeRecipients(keys []string, file string) ([]age.Recipient, error) {
	var out []age.Recipient
	if len(keys) > 0 {
		rs, err := age.ParseRecipients(strings.NewReader(strings.Join(keys, "\n")))
		if err != nil {
			return nil, fmt.Errorf("age recipients: %w", err)
		}
		out = append(out, rs...)
	}
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("age recipients: %w", err)
		}
		defer f.Close()
		rs, err := age.ParseRecipients(f)
		if err != nil {
			return nil, fmt.Errorf("age recipients %q: %w", file, err)
		}
		out = append(out, rs...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("age recipients: none given")
	}
	return out, nil
}

// EncryptFile encrypts src to dst (written atomically) in age's binary
// format, so that any of the recipients' keys decrypts it:
//
//	age -d -i key.txt acct-2026-11-21.zip.age > acct-2026-11-21.zip
//
// It returns dst's size and sha256. Encryption uses a fresh random file
// key, so two runs over the same file give different bytes.
func EncryptFile(src, dst string, recipients []age.Recipient, perm atomicfile.Perm) (int64, string, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, "", fmt.Errorf("encrypt %q: %w", src, err)
	}
	defer in.Close()
	n, sha, err := atomicfile.WriteSum(dst, perm, func(w io.Writer) error {
		aw, err := age.Encrypt(w, recipients...)
		if err != nil {
			return err
		}
		if _, err := io.Copy(aw, in); err != nil {
			return err
		}
		// Close writes the last chunk; without it the file is cut short.
		return aw.Close()
	})
	if err != nil {
		return 0, "", fmt.Errorf("encrypt %q: %w", src, err)
	}
	return n, sha, nil
}
