using System.Net.Sockets;
using System.Text.Json;
using KillSafe.Verification;
using Xunit;

// The tool and everything it inspects are Linux's.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace KillSafe.Cli.Tests;

/// <summary>The killsafe command run as users run it: a real process, real children, exit codes and output.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"killsafe-cli-{Environment.ProcessId}-{Guid.NewGuid():N}");

    public CliTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Dotnet => KillsafeProcess.Dotnet;

    private static string Bin(string dll) => Path.Combine(AppContext.BaseDirectory, dll);

    private (int ExitCode, string Output) Killsafe(params string[] args) => KillsafeProcess.Run(_dir, args);

    // The CLI as the unprivileged user nobody, who cannot read root's processes.
    private (int ExitCode, string Output) KillsafeAsNobody(params string[] args) =>
        KillsafeProcess.Run(_dir, args, new[] { "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups" });

    private string[] Child(string mode, params string[] args) => new[] { "--", Dotnet, Bin("KillSafe.TestChild.dll"), mode }.Concat(args).ToArray();

    [Fact]
    public void Verify_fails_with_exit_1_and_names_the_leftover_and_its_removal()
    {
        var path = Path.Combine(_dir, "svc.sock");
        var (exitCode, output) = Killsafe(new[] { "verify", "--dir", _dir, "--ready-line", "READY" }.Concat(Child("bind-unix", path)).ToArray());
        Assert.Equal(1, exitCode);
        Assert.Contains($"rm {path}", output);
        Assert.Contains("address already in use (EADDRINUSE)", output);
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
        Assert.Equal(1, json.RootElement.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("unixSocketFile", leftover.GetProperty("kind").GetString());
        Assert.Equal(path, leftover.GetProperty("identity").GetString());
        Assert.Equal(path, leftover.GetProperty("id").GetProperty("path").GetString());
        Assert.Equal("dead", leftover.GetProperty("owner").GetProperty("alive").GetString());
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
    [InlineData("scan does not take --apply", "scan", "--apply")]
    [InlineData("sweep does not take --signal", "sweep", "--signal", "TERM")]
    [InlineData("unexpected argument 'extra'", "scan", "extra")]
    [InlineData("verify: put the program after --", "verify", "true")]
    [InlineData("give one of --ready-line, --ready-file, --ready-port", "verify", "--ready-line", "A", "--ready-port", "80", "--", "true")]
    [InlineData("give one of --restart, --no-restart", "verify", "--restart", "--no-restart", "--", "true")]
    [InlineData("--timeout: '1e308' is not a number of seconds between 0 and 86400", "verify", "--timeout", "1e308", "--", "true")]
    [InlineData("--exit-timeout: '-1' is not a number of seconds between 0 and 86400", "verify", "--exit-timeout", "-1", "--", "true")]
    [InlineData("--dir: an empty path", "scan", "--dir", "")]
    [InlineData("--dir: no such directory: /nonexistent-killsafe", "scan", "--dir", "/nonexistent-killsafe")]
    [InlineData("--dir: not a directory: /etc/hostname", "sweep", "--dir", "/etc/hostname")]
    [InlineData("--kind: unknown kind 'pipe'", "sweep", "--kind", "pipe")]
    [InlineData("--only: 'shm:x' is neither an absolute path nor shm:ID", "sweep", "--only", "shm:x")]
    [InlineData("--share and --share-network describe an isolated run", "verify", "--host", "--share-network", "--", "true")]
    public void Bad_input_is_one_clear_line_and_exit_2(string message, params string[] args)
    {
        var (exitCode, output) = Killsafe(args);
        Assert.Equal(2, exitCode);
        Assert.Contains("killsafe: " + message, output);
        Assert.Single(output.Trim().Split('\n'), line => line.StartsWith("killsafe: ", StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", output); // no stack trace
        Assert.DoesNotContain("Usage:", output); // one line, not the help after it
    }

    [Fact]
    public void A_dir_the_user_cannot_read_is_an_error_not_an_empty_scan()
    {
        var closed = Path.Combine(_dir, "closed");
        Directory.CreateDirectory(closed, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.SetUnixFileMode(_dir, File.GetUnixFileMode(_dir) | UnixFileMode.OtherExecute);
        var (exitCode, output) = KillsafeAsNobody("scan", "--dir", closed);
        Assert.Equal(2, exitCode);
        Assert.Contains($"killsafe: --dir: cannot read the directory {closed} (permission denied)", output);
    }

    [Theory]
    [InlineData("verify", "--help")]
    [InlineData("sweep", "-h")]
    [InlineData("scan", "--json", "--help")]
    [InlineData("verify", "--timeout", "bad", "--help")]
    public void Help_after_a_command_prints_that_commands_usage_and_exits_0(params string[] args)
    {
        var (exitCode, output) = Killsafe(args);
        Assert.Equal(0, exitCode);
        Assert.Matches($@"Usage:\s+killsafe {args[0]} (\[<COMMAND>\.\.\.\] )?\[options\]", output);
        Assert.Contains("--dir <DIR>", output);
        // Each command's help names its own options only.
        if (args[0] == "verify")
            Assert.Contains("--ready-line <TEXT>", output);
        else
            Assert.DoesNotContain("--ready-line", output);
        Assert.DoesNotContain("killsafe: ", output);
    }

    [Fact]
    public void No_command_prints_the_usage_and_exits_2()
    {
        var (exitCode, output) = Killsafe();
        Assert.Equal(2, exitCode);
        foreach (var command in new[] { "scan", "sweep", "verify", "review", "analyze" })
            Assert.Contains("  " + command, output);
        Assert.Contains("Exit codes: 0 clean, 1 found something", output);
        Assert.EndsWith("\n", output);
    }

    [Theory]
    [InlineData("killsafe sw", "sweep")]
    [InlineData("killsafe sweep --kind posix-s", "posix-sem\nposix-shm")]
    [InlineData("killsafe verify --signal ", "HUP\nINT\nKILL\nTERM")]
    public void Tab_completion_comes_from_the_same_definitions(string line, string expected)
    {
        // What a shell's completion script asks (the [suggest] directive that dotnet-suggest uses).
        var (exitCode, output) = Killsafe($"[suggest:{line.Length}]", line);
        Assert.Equal(0, exitCode);
        Assert.Equal(expected, output.Trim());
    }

    [Fact]
    public void Version_prints_the_package_version_and_exits_0()
    {
        var (exitCode, output) = Killsafe(new[] { "--version" });
        Assert.Equal(0, exitCode);
        var expected = typeof(KillSafe.Verification.Snapshot).Assembly.GetName().Version!;
        Assert.StartsWith($"killsafe {expected.Major}.{expected.Minor}.{expected.Build}", output.Trim());
    }

    [Fact]
    public void A_kernel_table_that_is_not_there_is_named_never_taken_for_nothing()
    {
        // A private mount namespace hides /proc/sysvipc (as a kernel without SysV IPC would have none).
        var hide = new[] { "/usr/bin/unshare", "--mount", "/bin/sh", "-c", "mount -t tmpfs none /proc/sysvipc && exec \"$0\" \"$@\"" };
        var (exitCode, output) = KillsafeProcess.Run(_dir, new[] { "scan", "--dir", _dir }, hide);
        Assert.True(exitCode is 0 or 1, output); // 1 when the machine's /dev/shm holds something stale: not this test's business
        Assert.Contains("note: /proc/sysvipc/shm is not there", output);
        var (jsonExit, json) = KillsafeProcess.Run(_dir, new[] { "scan", "--json", "--dir", _dir }, hide);
        Assert.True(jsonExit is 0 or 1, json);
        using var report = JsonDocument.Parse(json);
        var missing = report.RootElement.GetProperty("missingTables").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(new[] { "/proc/sysvipc/shm", "/proc/sysvipc/sem", "/proc/sysvipc/msg" }, missing);
    }

    [Fact]
    public void A_kernel_table_of_a_shape_killsafe_does_not_know_is_exit_3_in_one_line()
    {
        var table = Path.Combine(_dir, "shm-table");
        File.WriteAllText(table, "not a header\n1 2 3\n");
        var forge = new[] { "/usr/bin/unshare", "--mount", "/bin/sh", "-c", "mount --bind \"$KS_TABLE\" /proc/sysvipc/shm && exec \"$0\" \"$@\"" };
        var (exitCode, output) = KillsafeProcess.Run(_dir, new[] { "scan", "--dir", _dir }, forge, environment: new Dictionary<string, string?> { ["KS_TABLE"] = table });
        Assert.True(exitCode == 3, output);
        Assert.Contains("killsafe: cannot inspect this machine: /proc/sysvipc/shm: ", output);
        Assert.DoesNotContain("   at ", output);
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

        // --kind socket-file: tests never sweep the machine's SysV objects or /dev/shm, which other tests use.
        var (dryExit, dry) = Killsafe("sweep", "--kind", "socket-file", "--dir", _dir);
        Assert.Equal(0, dryExit);
        Assert.Contains("dry run", dry);
        Assert.Equal(UnixFileKind.Socket, UnixFile.KindOf(stale));

        var (applyExit, applied) = Killsafe("sweep", "--apply", "--kind", "socket-file", "--dir", _dir);
        Assert.Equal(0, applyExit);
        Assert.Contains("removed", applied);
        Assert.Equal(UnixFileKind.Missing, UnixFile.KindOf(stale));
        Assert.Equal(UnixFileKind.Socket, UnixFile.KindOf(live)); // a live listener's file is never touched
    }

    // bind(2), then close the socket without unlink(2): the file stays with nothing bound to it.
    internal static void StaleSocket(string path)
    {
        using (var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            File.Move(path, path + ".keep"); // Dispose unlinks the bound path: keep the file away from it
        }

        File.Move(path + ".keep", path);
    }

    [Fact]
    public async Task Sweep_states_its_scope_narrows_by_kind_and_a_dry_run_says_it_removed_nothing()
    {
        var stale = Path.Combine(_dir, "stale.sock");
        StaleSocket(stale);
        var fifo = Path.Combine(_dir, "clr-debug-pipe-2147483646-1-in"); // runtime litter of a pid that never exists
        using (var mkfifo = ChildProcess.Start("mkfifo", new[] { fifo }))
            Assert.Equal(0, await mkfifo.WaitForExitAsync(TimeSpan.FromSeconds(10)));

        var (exitCode, output) = Killsafe("sweep", "--json", "--kind", "socket-file", "--dir", _dir);
        Assert.Equal(0, exitCode);
        using var json = JsonDocument.Parse(output);
        Assert.True(json.RootElement.GetProperty("dryRun").GetBoolean());
        Assert.Equal(0, json.RootElement.GetProperty("removed").GetInt32());
        Assert.Equal(1, json.RootElement.GetProperty("wouldRemove").GetInt32());
        var action = Assert.Single(json.RootElement.GetProperty("actions").EnumerateArray()); // the FIFO is not a socket file
        Assert.Equal("wouldRemove", action.GetProperty("outcome").GetString());
        Assert.Equal(stale, action.GetProperty("identity").GetString());
        Assert.Contains(_dir, json.RootElement.GetProperty("scope").GetString());

        var (_, text) = Killsafe("sweep", "--dir", _dir);
        Assert.StartsWith("scope: SysV IPC and /dev/shm", text);
        Assert.Contains("kinds: socket-file", Killsafe("sweep", "--kind", "socket-file", "--dir", _dir).Output);
        Assert.Contains("would remove socket-file  " + stale, text);
        Assert.Contains("would remove file         " + fifo, text);
        Assert.Equal(UnixFileKind.Socket, UnixFile.KindOf(stale));
        Assert.Equal(UnixFileKind.Fifo, UnixFile.KindOf(fifo));
    }

    [Fact]
    public void A_removal_that_fails_makes_sweep_exit_1()
    {
        // nobody may connect to the socket (mode 0666) but not unlink it from root's directory.
        var stale = Path.Combine(_dir, "stale.sock");
        StaleSocket(stale);
        File.SetUnixFileMode(stale, (UnixFileMode)0x1b6);
        var (exitCode, output) = KillsafeAsNobody("sweep", "--apply", "--kind", "socket-file", "--dir", _dir);
        Assert.True(exitCode == 1, output);
        Assert.Contains("FAILED       socket-file  " + stale, output);
        Assert.Equal(UnixFileKind.Socket, UnixFile.KindOf(stale));
    }

    [Fact]
    public async Task What_the_scanning_user_cannot_read_is_unknown_never_dead()
    {
        // A runtime FIFO named for a process that never exists, held open by a root process that is not dumpable
        // (as ssh-agent makes itself): root sees the holder, nobody cannot read root's descriptors.
        var fifo = Path.Combine(_dir, "clr-debug-pipe-2147483646-2-in");
        using var holder = ChildProcess.Start("/usr/bin/python3", new[] { "-c", "import ctypes,os,sys,time\nos.mkfifo(sys.argv[1])\nf=os.open(sys.argv[1],os.O_RDWR)\nctypes.CDLL(None).prctl(4,0)\nprint('READY',flush=True)\ntime.sleep(120)", fifo });
        await holder.WaitForOutputAsync("READY", TimeSpan.FromSeconds(20));

        var (_, asRoot) = Killsafe("scan", "--json", "--dir", _dir);
        Assert.DoesNotContain(fifo, asRoot); // held by a live process: not a leftover at all
        var (_, asNobody) = KillsafeAsNobody("scan", "--json", "--dir", _dir);
        using var json = JsonDocument.Parse(asNobody);
        var entry = Assert.Single(json.RootElement.GetProperty("runtimeLitter").EnumerateArray(), l => l.GetProperty("identity").GetString() == fifo);
        Assert.Equal("unknown", entry.GetProperty("owner").GetProperty("alive").GetString());
        Assert.Contains("unreadable", entry.GetProperty("owner").GetProperty("evidence").GetString());
        var (_, sweep) = KillsafeAsNobody("sweep", "--apply", "--kind", "file", "--dir", _dir);
        Assert.Contains("skipped      file         " + fifo, sweep);
        Assert.Equal(UnixFileKind.Fifo, UnixFile.KindOf(fifo));
    }
}
