package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
)

// RunPlugin starts a plugin written in Python (upstream main.go, RunPlugin):
//
//   - a policy pack (kind "analyzer") is `python -u -m pulumi.policy ARGS… PACKDIR`, run in the
//     pack's own directory (so its sys.path is the pack's, not the project's), behind sdk/v3's
//     PolicyProxy, which takes the engine's ConfigureStack first and so lets the pack start with
//     the stack's context in PULUMI_ORGANIZATION, PULUMI_PROJECT, PULUMI_STACK, PULUMI_DRY_RUN
//     and PULUMI_CONFIG, which `python -m pulumi.policy` and pulumi_policy read;
//   - any other plugin with a __main__.py (or an SDK without pulumi.run.plugin) is
//     `python PLUGINDIR ARGS…` in the engine's working directory, in the `venv` virtualenv
//     unless its PulumiPlugin.yaml says otherwise;
//   - a plugin that is a buildable package without __main__.py is `python -m pulumi.run.plugin
//     NAME ARGS…`, NAME its pyproject.toml's project name.
func (h *languageHost) RunPlugin(
	req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer,
) error {
	if req.GetAttachDebugger() {
		return errors.New("this language host cannot attach a debugger (docs/engine.md)")
	}
	ctx := server.Context()
	isPolicyPack := req.GetKind() == string(apitype.AnalyzerPlugin)
	options, tc, err := resolve(req.GetInfo(), !isPolicyPack)
	if err != nil {
		return err
	}
	// A pack whose virtualenv is missing fails here with the toolchain's own message ("The
	// 'virtualenv' option ... doesn't exist", with the commands that create it), as Run does for
	// the program. Without this check the policy proxy below starts, the engine connects to it,
	// and the pack's python never starts: `pulumi up --policy-pack` then sometimes hung until
	// killed (seen on a runner without policies/venv, tests/e2e/test_workflows_on_azurite.py).
	if err := tc.ValidateVenv(ctx); err != nil {
		return err
	}
	dir := req.GetInfo().GetProgramDirectory()

	var cmd *exec.Cmd
	runModule, err := usesPluginRunModule(ctx, tc, options.Root)
	if err != nil {
		return err
	}
	switch {
	case runModule:
		project, err := toolchain.LoadPyproject(options.Root)
		if err != nil {
			return fmt.Errorf("loading pyproject: %w", err)
		}
		cmd, err = tc.ModuleCommand(ctx, "pulumi.run.plugin", append([]string{project.Project.Name}, req.GetArgs()...)...)
		if err != nil {
			return err
		}
	case isPolicyPack:
		// `python -u -m pulumi.policy`, through our launcher (environment.go).
		launch := []string{"-u", h.launcher, "--module", "pulumi.policy"}
		args := append(append(launch, req.GetArgs()...), dir)
		if cmd, err = tc.Command(ctx, args...); err != nil {
			return err
		}
	default:
		if cmd, err = tc.Command(ctx, append([]string{dir}, req.GetArgs()...)...); err != nil {
			return err
		}
	}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	// Policy packs have always run from their own directory (upstream main.go: "python policy
	// packs used to always run with the working directory set to the policy pack directory").
	if isPolicyPack {
		cmd.Dir = dir
	} else {
		cmd.Dir = req.GetPwd()
	}

	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	var proxy *sdk.PolicyProxy
	var pipe *pipedEnvironment // the stack's configuration, for a policy pack
	if isPolicyPack {
		var packStdout io.Writer
		proxy, packStdout, err = sdk.NewPolicyProxy(ctx, stdout)
		if err != nil {
			return fmt.Errorf("could not start policy pack proxy: %w", err)
		}
		stdout = packStdout
		config, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return fmt.Errorf("could not get stack configuration: %w", err)
		}
		stackEnv, piped, err := stackContext(config)
		if err != nil {
			return err
		}
		cmd.Env = append(cmd.Env, stackEnv...)
		if pipe, err = pipeEnvironment(cmd, piped); err != nil {
			return err
		}
	}
	cmd.Env = append(cmd.Env, req.GetEnv()...)
	cmd.Stdout, cmd.Stderr = stdout, stderr

	if err := cmd.Start(); err != nil {
		if pipe != nil {
			pipe.close()
		}
		return fmt.Errorf("problem executing plugin program (could not run language executor): %w", err)
	}
	if pipe != nil {
		pipe.started()
	}
	if proxy != nil {
		err = proxy.Attach(ctx, cmd)
		if err != nil {
			err = fmt.Errorf("could not attach policy pack proxy: %w", err)
		}
	} else {
		err = cmd.Wait()
	}
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if status, ok := exitErr.Sys().(syscall.WaitStatus); ok {
				return server.Send(&pulumirpc.RunPluginResponse{
					Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(status.ExitStatus())},
				})
			}
			return fmt.Errorf("program exited unexpectedly: %w", exitErr)
		}
		return err
	}
	return closer.Close()
}

// stackContext is the environment a policy pack learns its stack from, each variable only when
// the engine sent a value (upstream main.go, RunPlugin). PULUMI_CONFIG, of any size, is
// returned apart, for the launcher's pipe.
func stackContext(config *pulumirpc.AnalyzerStackConfigureRequest) ([]string, map[string]string, error) {
	piped := map[string]string{}
	if config == nil {
		return nil, piped, nil
	}
	var environment []string
	add := func(name, value string) {
		if value != "" {
			environment = append(environment, name+"="+value)
		}
	}
	add("PULUMI_ORGANIZATION", config.GetOrganization())
	add("PULUMI_PROJECT", config.GetProject())
	add("PULUMI_STACK", config.GetStack())
	add("PULUMI_DRY_RUN", strconv.FormatBool(config.GetDryRun()))
	if config.GetConfig() != nil {
		encoded, err := json.Marshal(config.GetConfig())
		if err != nil {
			return nil, nil, fmt.Errorf("could not marshal stack configuration: %w", err)
		}
		piped["PULUMI_CONFIG"] = string(encoded)
	}
	return environment, piped, nil
}

// usesPluginRunModule says whether the plugin is run through `pulumi.run.plugin`: it has no
// __main__.py and its Pulumi SDK has that module (older SDKs do not: then, as before, the
// directory is run). A plugin with neither __main__.py nor a buildable pyproject.toml cannot run.
func usesPluginRunModule(ctx context.Context, tc toolchain.Toolchain, root string) (bool, error) {
	if _, err := os.Stat(filepath.Join(root, "__main__.py")); err == nil {
		return false, nil
	} else if !os.IsNotExist(err) {
		return false, fmt.Errorf("looking for __main__.py: %w", err)
	}
	check, err := tc.Command(ctx, "-c", "import pulumi.run.plugin")
	if err != nil {
		return false, err
	}
	if output, err := check.CombinedOutput(); err != nil && strings.Contains(string(output), "ModuleNotFoundError") {
		return false, nil
	}
	buildable, err := toolchain.IsBuildablePackage(root)
	if err != nil {
		return false, fmt.Errorf("checking if plugin is a buildable package: %w", err)
	}
	if !buildable {
		return false, errors.New("plugin is not runnable, it provides neither __main__.py nor a buildable pyproject.toml")
	}
	return true, nil
}
