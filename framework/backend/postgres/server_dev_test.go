package postgres

import (
	"os"
	"testing"
)

// startServer is temporary: the URL of HADE_DEV_POSTGRES_URL.
func startServer(t *testing.T) string {
	url := os.Getenv("HADE_DEV_POSTGRES_URL")
	if url == "" {
		t.Skip("no HADE_DEV_POSTGRES_URL")
	}
	return url
}
