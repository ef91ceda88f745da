// Package contract holds the interfaces that the framework's services implement and the keys the service
// container makes them by. It depends on nothing but the standard library.
package contract

// AppKey is the container key of the App service.
const AppKey = "hade:app"

// App describes the running application: its identity and where it keeps its files.
type App interface {
	// AppID returns this process's unique id: a random UUID (RFC 9562, version 4) made when the service
	// is built, so two processes of the same binary never share one. Distributed selection names winners
	// by it.
	AppID() string
	// BaseFolder returns the absolute folder the application works in; storage/ lives below it.
	BaseFolder() string
	// StorageFolder returns BaseFolder()/storage. It is not created by this call.
	StorageFolder() string
	// RuntimeFolder returns StorageFolder()/runtime: pidfiles and lock files. It is not created by this call.
	RuntimeFolder() string
	// LogFolder returns StorageFolder()/log. It is not created by this call.
	LogFolder() string
}
