package pgserver

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// protocolVersion is the frontend/backend protocol 3.0, as a startup message carries it.
const protocolVersion = 3 << 16

// probe tells whether the server on port accepts connections, without logging in (as pg_isready): it
// sends a startup message for User and Database and reads the first answer. An authentication request
// means yes (nil); an error response (e.g. 57P03, the database system is starting up, or not yet
// accepting connections) or no answer within 2 s is returned as the error.
func probe(port int) error {
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(Host, strconv.Itoa(port)), 2*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(2 * time.Second)); err != nil {
		return err
	}
	if _, err := conn.Write(startupMessage(User, Database)); err != nil {
		return err
	}
	header := make([]byte, 5) // type, then length (itself included)
	if _, err := io.ReadFull(conn, header); err != nil {
		return fmt.Errorf("read the answer to a startup message: %w", err)
	}
	switch header[0] {
	case 'R':
		return nil
	case 'E':
		length := binary.BigEndian.Uint32(header[1:])
		if length < 4 || length > 1<<16 {
			return fmt.Errorf("an error response of %d bytes", length)
		}
		body := make([]byte, length-4)
		if _, err := io.ReadFull(conn, body); err != nil {
			return fmt.Errorf("read an error response: %w", err)
		}
		return errorResponse(body)
	default:
		return fmt.Errorf("message type %q in answer to a startup message", header[0])
	}
}

// startupMessage returns the startup message (protocol 3.0) of user on database.
func startupMessage(user, database string) []byte {
	var body bytes.Buffer
	_ = binary.Write(&body, binary.BigEndian, uint32(protocolVersion))
	for _, s := range []string{"user", user, "database", database, ""} {
		body.WriteString(s)
		body.WriteByte(0)
	}
	message := binary.BigEndian.AppendUint32(nil, uint32(4+body.Len()))
	return append(message, body.Bytes()...)
}

// errorResponse returns the error of an error response's body (fields: a type byte, then a
// NUL-terminated string; a NUL byte ends them) as "message (SQLSTATE code)".
func errorResponse(body []byte) error {
	fields := map[byte]string{}
	for len(body) > 1 && body[0] != 0 {
		end := bytes.IndexByte(body[1:], 0)
		if end < 0 {
			break
		}
		fields[body[0]] = string(body[1 : 1+end])
		body = body[2+end:]
	}
	return fmt.Errorf("%s (SQLSTATE %s)", fields['M'], fields['C'])
}
