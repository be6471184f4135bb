package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
)

// Run runs the program: `python pulumi-language-python-exec --monitor … ENTRYPOINT ARGS…` in the
// program's toolchain, with the stack's configuration in PULUMI_CONFIG (upstream main.go, Run),
// which reaches it through a pipe (environment.go). The program gets SIGINT when
// the engine cancels, and SIGKILL cancelGrace later.
func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if req.GetAttachDebugger() {
		return &pulumirpc.RunResponse{Error: "this language host cannot attach a debugger (docs/engine.md)"}, nil
	}
	options, tc, err := resolve(req.GetInfo(), false)
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}
	environment, piped, err := programEnvironment(req)
	if err != nil {
		return nil, err
	}

	// Cancelled by the Cancel RPC or by the end of this request, whichever comes first.
	runCtx, stopRun := context.WithCancel(h.cancelled)
	defer stopRun()
	context.AfterFunc(ctx, stopRun)
	cmd, err := tc.Command(runCtx, append([]string{h.executor}, h.executorArguments(req)...)...)
	if err != nil {
		return nil, err
	}
	cmd.Cancel = func() error {
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
	cmd.WaitDelay = cancelGrace
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, environment...)
	pipe, err := pipeEnvironment(cmd, piped)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr

	if err := typecheck(ctx, tc, options); err != nil {
		pipe.close()
		return nil, err
	}
	if err = cmd.Start(); err != nil {
		pipe.close()
	} else {
		pipe.started()
		err = cmd.Wait()
	}
	if err == nil {
		return &pulumirpc.RunResponse{}, nil
	}
	// A program that crashed fast may have written just before it died: flush what we relay.
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("problem executing program (could not run language executor): %v", err),
		}, nil
	}
	status, ok := exitErr.Sys().(syscall.WaitStatus)
	switch {
	case !ok || status.ExitStatus() == 0:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited unexpectedly: %v", exitErr)}, nil
	case status.ExitStatus() == bailExitCode:
		return &pulumirpc.RunResponse{Bail: true}, nil
	default:
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("program exited with non-zero exit code: %d", status.ExitStatus()),
		}, nil
	}
}

// executorArguments are the executor's flags, then the entry point (relative to --pwd, "." for
// the program directory) and the program's own arguments (upstream main.go, constructArguments).
func (h *languageHost) executorArguments(req *pulumirpc.RunRequest) []string {
	var args []string
	add := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engineAddress)
	add("project", req.GetProject())
	add("root_directory", req.GetInfo().GetRootDirectory())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("dry_run", strconv.FormatBool(req.GetDryRun()))
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("tracing", h.tracing)
	add("organization", req.GetOrganization())
	entryPoint := req.GetInfo().GetEntryPoint()
	if entryPoint == "" {
		entryPoint = "."
	}
	args = append(args, entryPoint)
	return append(args, req.GetArgs()...)
}

// programEnvironment is what the executor reads its configuration from: PULUMI_CONFIG only when
// the stack has configuration (a stack without any gets no variable, never "null"), and
// PULUMI_CONFIG_SECRET_KEYS always, "[]" when none (upstream main.go, constructConfig and
// constructConfigSecretKeys). The first, of any size, goes through the launcher's pipe; the
// second, a list of key names, in the environment.
func programEnvironment(req *pulumirpc.RunRequest) ([]string, map[string]string, error) {
	piped := map[string]string{}
	if config := req.GetConfig(); config != nil {
		encoded, err := json.Marshal(config)
		if err != nil {
			return nil, nil, fmt.Errorf("failed to serialize configuration: %w", err)
		}
		piped["PULUMI_CONFIG"] = string(encoded)
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	encoded, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to serialize configuration secret keys: %w", err)
	}
	return []string{"PULUMI_CONFIG_SECRET_KEYS=" + string(encoded)}, piped, nil
}

// typecheck runs the `typechecker` runtime option (mypy or pyright) over the program before it
// runs, and fails the run with its output when it finds errors (upstream main.go, Run).
func typecheck(ctx context.Context, tc toolchain.Toolchain, options toolchain.PythonOptions) error {
	var name string
	switch options.Typechecker {
	case toolchain.TypeCheckerMypy:
		name = "mypy"
	case toolchain.TypeCheckerPyright:
		name = "pyright"
	default:
		return nil
	}
	packages, err := tc.ListPackages(ctx, true)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(packages, func(p plugin.DependencyInfo) bool { return p.Name == name }) {
		return fmt.Errorf("The typechecker option is set to %s, but %s is not installed. "+ //nolint:staticcheck // user-facing, as upstream
			"Please add an entry for %s to requirements.txt and install it", name, name, name)
	}
	args := []string{"-m", name}
	if name == "mypy" {
		venv, err := tc.VirtualEnvPath(ctx)
		if err != nil {
			return err
		}
		if venv != "" {
			if relative, err := filepath.Rel(options.ProgramDir, venv); err == nil {
				args = append(args, "--exclude", relative)
			}
		}
	}
	cmd, err := tc.Command(ctx, append(args, options.ProgramDir)...)
	if err != nil {
		return err
	}
	var output bytes.Buffer
	cmd.Dir = options.ProgramDir
	cmd.Stdout = io.MultiWriter(os.Stdout, &output)
	cmd.Stderr = io.MultiWriter(os.Stderr, &output)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s failed: %w\n%s", name, err, output.String())
	}
	return nil
}
