package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
)

const (
	// launcherName is the script that starts a policy pack once it has read pipedEnvironment's
	// variables (bin/pulumi-language-python-launch); the executor reads them itself
	// (bin/langhost_environment.py).
	launcherName = "pulumi-language-python-launch"
	// environmentDescriptorVariable names, in the child's environment, the descriptor of the
	// pipe the variables come through.
	environmentDescriptorVariable = "LANGHOST_ENVIRONMENT_FD"
)

// pipedEnvironment carries environment variables to a Python process through a pipe it
// inherits, instead of through execve(2). Upstream's host puts the stack's whole configuration
// in one variable, PULUMI_CONFIG (upstream main.go, constructConfig; the PolicyProxy's stack
// configuration for policy packs), and Linux refuses to start a process with any single
// environment string over 128 KiB (MAX_ARG_STRLEN, E2BIG: "argument list too long"), which a
// list setting of about 3,100 object ids reaches. The executor or launcher sets them in its
// own environment (putenv has no such limit), so the program or pack sees what upstream's host
// would have given it.
type pipedEnvironment struct {
	payload []byte
	reader  *os.File
	writer  *os.File
}

// pipeEnvironment prepares cmd to receive variables (NAME=VALUE, as in cmd.Env) through a pipe:
// the read end becomes one of cmd's extra descriptors, named in its environment. Call started
// once cmd has started, and close whatever the command's start did not.
func pipeEnvironment(cmd *exec.Cmd, variables map[string]string) (*pipedEnvironment, error) {
	payload, err := json.Marshal(variables)
	if err != nil {
		return nil, fmt.Errorf("failed to serialize the program's environment: %w", err)
	}
	reader, writer, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("failed to create the pipe for the program's environment: %w", err)
	}
	cmd.ExtraFiles = append(cmd.ExtraFiles, reader)
	descriptor := 2 + len(cmd.ExtraFiles) // ExtraFiles[i] becomes descriptor 3+i in the child
	cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%d", environmentDescriptorVariable, descriptor))
	return &pipedEnvironment{payload: payload, reader: reader, writer: writer}, nil
}

// started writes the variables once the child holds its copy of the read end, in the
// background: a payload larger than the pipe's buffer is written as the child reads it. The
// writer is closed at the end (the child reads to there); a child that exits without reading
// makes the write fail with EPIPE, which ends the goroutine.
func (p *pipedEnvironment) started() {
	_ = p.reader.Close()
	go func() {
		_, _ = p.writer.Write(p.payload)
		_ = p.writer.Close()
	}()
}

// close releases both ends when the command never started.
func (p *pipedEnvironment) close() {
	_ = p.reader.Close()
	_ = p.writer.Close()
}
