package etcdserver

import "github.com/hadeframe/hade/internal/testcert"

// WriteTLSFiles makes a CA and a server certificate it signs for 127.0.0.1 and localhost (valid one day)
// and writes them, with the server key, as PEM files in dir (see testcert.Write).
func WriteTLSFiles(dir string) (*TLSFiles, error) {
	files, err := testcert.Write(dir)
	if err != nil {
		return nil, err
	}
	return &TLSFiles{CA: files.CA, Cert: files.Cert, Key: files.Key}, nil
}
