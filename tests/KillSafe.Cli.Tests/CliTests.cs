using System.Net.Sockets;
using System.Text.Json;
using KillSafe.Verification;
using Xunit;

namespace KillSafe.Cli.Tests;

/// <summary>The killsafe command run as users run it: a real process, real children, exit codes and output.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"killsafe-cli-{Environment.ProcessId}-{Guid.NewGuid():N}");

    public CliTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Dotnet => KillRunOptions.DotnetHost;

    private static string Bin(string dll) => Path.Combine(AppContext.BaseDirectory, dll);

    private (int ExitCode, string Output) Killsafe(params string[] args)
    {
        // No runtime diagnostics files from the CLI or its children (FACTS.md): the tests watch only their own directory anyway.
        using var cli = ChildProcess.Start(Dotnet, new[] { Bin("killsafe.dll") }.Concat(args), new Dictionary<string, string?> { ["DOTNET_EnableDiagnostics"] = "0" });
        var exitCode = cli.WaitForExitAsync(TimeSpan.FromSeconds(90)).GetAwaiter().GetResult();
        return (exitCode, cli.Output);
    }

    private string[] Child(string mode, params string[] args) => new[] { "--", Dotnet, Bin("KillSafe.TestChild.dll"), mode }.Concat(args).ToArray();

    [Fact]
    public void Verify_fails_with_exit_1_and_names_the_leftover_and_its_removal()
    {
        var path = Path.Combine(_dir, "svc.sock");
        var (exitCode, output) = Killsafe(new[] { "verify", "--dir", _dir, "--ready-line", "READY" }.Concat(Child("bind-unix", path)).ToArray());
        Assert.Equal(1, exitCode);
        Assert.Contains($"rm {path}", output);
        Assert.Contains("AddressAlreadyInUse", output);
        Assert.Contains("FAIL", output);
    }

    [Fact]
    public void Verify_json_is_machine_readable()
    {
        var path = Path.Combine(_dir, "svc.sock");
        var (exitCode, output) = Killsafe(new[] { "verify", "--json", "--dir", _dir, "--ready-line", "READY" }.Concat(Child("bind-unix", path)).ToArray());
        Assert.Equal(1, exitCode);
        using var json = JsonDocument.Parse(output);
        Assert.False(json.RootElement.GetProperty("passed").GetBoolean());
        Assert.Equal(137, json.RootElement.GetProperty("exitCode").GetInt32());
        var leftover = Assert.Single(json.RootElement.GetProperty("leftovers").EnumerateArray());
        Assert.Equal("UnixSocketFile", leftover.GetProperty("Kind").GetString());
        Assert.Equal(path, leftover.GetProperty("Identity").GetString());
    }

    [Fact]
    public void Verify_passes_with_exit_0_for_a_program_that_leaves_nothing()
    {
        var (exitCode, output) = Killsafe(new[] { "verify", "--signal", "TERM", "--dir", _dir, "--ready-line", "READY" }.Concat(Child("wait")).ToArray());
        Assert.True(exitCode == 0, output);
        Assert.Contains("PASS", output);
    }

    [Theory]
    [InlineData("unknown signal 'FOO'", "verify", "--signal", "FOO", "--", "true")]
    [InlineData("verify needs a command", "verify", "--signal", "KILL")]
    [InlineData("unknown command 'frobnicate'", "frobnicate")]
    [InlineData("unknown option '--bogus'", "scan", "--bogus")]
    [InlineData("--ready-port: 'http' is not a port number", "verify", "--ready-port", "http", "--", "true")]
    [InlineData("--timeout needs a value", "verify", "--timeout")]
    [InlineData("cannot start '/nonexistent/program'", "verify", "--", "/nonexistent/program")]
    public void Bad_input_is_one_clear_line_and_exit_2(string message, params string[] args)
    {
        var (exitCode, output) = Killsafe(args);
        Assert.Equal(2, exitCode);
        Assert.Contains("killsafe: " + message, output);
        Assert.DoesNotContain("   at ", output); // no stack trace
    }

    [Fact]
    public void A_readiness_timeout_is_exit_2_with_the_child_output()
    {
        var (exitCode, output) = Killsafe(new[] { "verify", "--timeout", "1", "--dir", _dir, "--ready-line", "NEVER" }.Concat(Child("wait")).ToArray());
        Assert.Equal(2, exitCode);
        Assert.Contains("did not print 'NEVER'", output);
        Assert.Contains("READY", output);
    }

    [Fact]
    public void Scan_finds_a_stale_socket_file_and_sweep_removes_it_only_with_apply()
    {
        var stale = Path.Combine(_dir, "stale.sock");
        using (var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            socket.Bind(new UnixDomainSocketEndPoint(stale));
            // Keep the file: move it away before Dispose unlinks the path, and back after the socket is closed.
            File.Move(stale, stale + ".keep");
        }

        File.Move(stale + ".keep", stale);
        var live = Path.Combine(_dir, "live.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(live));
        listener.Listen(1);

        var (scanExit, scan) = Killsafe("scan", "--dir", _dir);
        Assert.Equal(1, scanExit);
        Assert.Contains(stale, scan);
        Assert.DoesNotContain(live, scan);

        var (dryExit, dry) = Killsafe("sweep", "--dir", _dir);
        Assert.Equal(0, dryExit);
        Assert.Contains("dry run", dry);
        Assert.Equal(UnixFileKind.Socket, UnixFile.KindOf(stale));

        var (applyExit, applied) = Killsafe("sweep", "--apply", "--dir", _dir);
        Assert.Equal(0, applyExit);
        Assert.Contains("removed", applied);
        Assert.Equal(UnixFileKind.Missing, UnixFile.KindOf(stale));
        Assert.Equal(UnixFileKind.Socket, UnixFile.KindOf(live)); // a live listener's file is never touched
    }
}
