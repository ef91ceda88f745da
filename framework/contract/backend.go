package contract

import "context"

// BackendKey is the container key of the Backend service.
const BackendKey = "hade:backend"

// Backend is the shared state of the cron processes of an application: it decides which process runs each
// tick of a distributed entry (Claims), holds the run leases of OverlapForbid (RunLeases), keeps the run
// history (RunHistory), the live processes (ProcessRegistry) and the operators' orders (JobControl).
// Processes that share a backend (one host's files, one Redis, one etcd cluster) see one another; processes
// on different backends never do. Implementations are safe for concurrent use; backendtest checks one.
type Backend interface {
	Claims
	RunLeases
	RunHistory
	ProcessRegistry
	JobControl
	// Describe returns a one-line account of where the backend is and whether it answers within ctx, e.g.
	// `redis redis://10.0.0.5:6379/0 (Redis 7.0.15, answering)`; it never holds a secret.
	Describe(ctx context.Context) string
	// Close releases the backend's connections and files; calls made after it return an error.
	Close() error
}
