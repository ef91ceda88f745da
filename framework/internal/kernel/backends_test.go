package kernel

// The tests run the backends an application would register by import.
import (
	_ "github.com/hadeframe/hade/framework/backend/etcd"
	_ "github.com/hadeframe/hade/framework/backend/local"
	_ "github.com/hadeframe/hade/framework/backend/redis"
)
