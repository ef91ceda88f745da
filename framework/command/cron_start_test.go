package command

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hadeframe/hade/framework/console"
)

// lockedBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestCronStartStopsWhenTheExecuteContextIsCancelled(t *testing.T) {
	root := console.NewRoot("testapp", "test application")
	AddKernelCommands(root)
	root.AddCronCommand("* * * * * *", &cobra.Command{Use: "noop", RunE: func(*cobra.Command, []string) error { return nil }})
	out := &lockedBuffer{}
	root.SetOut(out)
	root.SetArgs([]string{"cron", "start", "--base-folder", t.TempDir(), "--distributed", memoryBackend})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- root.Execute(ctx) }()

	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), `"msg":"cron started"`) {
		if time.Now().After(deadline) {
			t.Fatalf("cron start did not start within 10s; it printed:\n%s", out)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Execute returned %v after its context was cancelled, want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("cron start still runs 15s after the context given to Execute was cancelled; it printed:\n%s", out)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatal(err)
	}
	if last["msg"] != "cron stopped" || last["reason"] != "context canceled" {
		t.Fatalf("last line %v, want cron stopped with reason context canceled", last)
	}
}
