using System.Text.Json;
using KillSafe.Verification;
using Xunit;

namespace KillSafe.Cli.Tests;

/// <summary>
/// The runtime promises against real programs from Debian's packages (PostgreSQL, redis, socat): sweep never
/// removes what a live one uses, and verify reports what a killed one left. .ci/run installs the packages; a
/// test whose program is missing fails and says which package to install.
/// </summary>
public sealed class RealProgramTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"ks-real-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
    private readonly List<ChildProcess> _programs = new();

    public RealProgramTests()
    {
        Directory.CreateDirectory(_dir);
        File.SetUnixFileMode(_dir, (UnixFileMode)0x1ed); // 0755: the postgres user works below it
    }

    public void Dispose()
    {
        foreach (var program in _programs)
            program.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static string Dotnet => KillsafeProcess.Dotnet;

    private static string KillsafeDll => KillsafeProcess.Dll;

    private static string Require(string path, string package)
    {
        Assert.True(File.Exists(path), $"{path} is missing: install Debian's {package} package (apt-get install {package}); .ci/run does this");
        return path;
    }

    private ChildProcess Start(string fileName, params string[] arguments)
    {
        var program = ChildProcess.Start(fileName, arguments, new Dictionary<string, string?> { ["DOTNET_EnableDiagnostics"] = "0" });
        _programs.Add(program);
        return program;
    }

    private (int ExitCode, string Output) Killsafe(params string[] args) => KillsafeProcess.Run(_dir, args);

    private static async Task WaitForFileAsync(string path, ChildProcess program)
    {
        for (var clock = System.Diagnostics.Stopwatch.StartNew(); UnixFile.KindOf(path) == UnixFileKind.Missing; await Task.Delay(50))
        {
            Assert.False(program.HasExited, $"the program exited before it made {path}:\n{program.Output}");
            Assert.True(clock.Elapsed < Timeout, $"{path} did not appear:\n{program.Output}");
        }
    }

    [Fact]
    public async Task Sweep_leaves_a_live_PostgreSQL_working_and_removes_only_a_dead_instances_proven_leftovers()
    {
        Require("/usr/bin/unshare", "util-linux");
        Require("/usr/bin/setpriv", "util-linux");
        Require("/usr/bin/psql", "postgresql");
        var script = Path.Combine(AppContext.BaseDirectory, "RealPrograms", "postgres.sh");
        using var run = ChildProcess.Start("/usr/bin/unshare", new[] { "--ipc", "--mount", "--pid", "--fork", "--mount-proc", "/bin/bash", script, _dir, Dotnet, KillsafeDll }, new Dictionary<string, string?> { ["DOTNET_EnableDiagnostics"] = "0", ["KILLSAFE_STATE_DIR"] = _dir });
        var exitCode = await run.WaitForExitAsync(TimeSpan.FromSeconds(240));
        Assert.True(exitCode == 0 && run.Output.Contains("DONE", StringComparison.Ordinal), $"the PostgreSQL script failed ({exitCode}):\n{run.Output}");
        string Read(string name) => File.ReadAllText(Path.Combine(_dir, name));

        // Before the sweep a live segment existed that no process mapped: what the earlier sweep removed.
        var before = Read("shm-before.txt").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToList();
        Assert.Contains(before, f => f[1] == "no");
        var after = Read("shm-after.txt").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(before, f => Assert.Contains(Path.GetFileName(f[0]), after)); // nothing in /dev/shm was removed

        using var sweep = JsonDocument.Parse(Read("sweep.json"));
        Assert.Equal("0", Read("sweep.exit").Trim());
        var removed = sweep.RootElement.GetProperty("actions").EnumerateArray().Where(a => a.GetProperty("outcome").GetString() == "removed").ToList();
        Assert.Contains(removed, a => a.GetProperty("identity").GetString()!.EndsWith("/dead-sock/.s.PGSQL.5441", StringComparison.Ordinal));
        Assert.Contains(removed, a => a.GetProperty("kind").GetString() == "sysVSharedMemory"); // the dead postmaster's segment
        Assert.DoesNotContain(removed, a => a.GetProperty("identity").GetString()!.StartsWith("/dev/shm/", StringComparison.Ordinal));
        Assert.Contains(".s.PGSQL.5440", Read("live-sock-after.txt"));
        Assert.DoesNotContain(".s.PGSQL.5441\n", Read("dead-sock-after.txt"));
        var attached = Read("sysv-before.txt").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).Where(f => f[1] != "0").Select(f => f[0]);
        Assert.All(attached, id => Assert.Contains(id, Read("sysv-after.txt").Split('\n'))); // the live server's segment stays

        Assert.True(Read("query.exit").Trim() == "0", "the live server broke after the sweep: " + Read("query.txt"));
        Assert.Equal("3000", Read("query.txt").Trim());

        // SIGHUP: PostgreSQL reloads. verify says so, ends it with SIGKILL, and marks what that left.
        Assert.Equal("1", Read("verify.exit").Trim());
        using var verify = JsonDocument.Parse(Read("verify.json"));
        Assert.True(verify.RootElement.GetProperty("survivedSignal").GetBoolean(), Read("verify.json"));
        var leftovers = verify.RootElement.GetProperty("leftovers").EnumerateArray().ToList();
        Assert.Contains(leftovers, l => l.GetProperty("kind").GetString() == "sysVSharedMemory");
        Assert.Contains(leftovers, l => l.GetProperty("kind").GetString() == "posixSharedMemory");
        Assert.All(leftovers, l => Assert.Contains("survived SIGHUP", l.GetProperty("note").GetString()));
    }

    [Fact]
    public async Task A_live_redis_socket_is_never_swept_and_a_killed_redis_leaves_one_that_is()
    {
        var redis = Require("/usr/bin/redis-server", "redis-server");
        var cli = Require("/usr/bin/redis-cli", "redis-tools");
        var socket = Path.Combine(_dir, "redis.sock");
        string[] Arguments(string path) => new[] { "--port", "0", "--unixsocket", path, "--unixsocketperm", "700", "--save", "", "--appendonly", "no", "--dir", _dir };
        var live = Start(redis, Arguments(socket));
        await WaitForFileAsync(socket, live);

        var (sweepExit, sweep) = Killsafe("sweep", "--apply", "--kind", "socket-file", "--dir", _dir);
        Assert.Equal(0, sweepExit);
        Assert.DoesNotContain("removed", sweep);
        Assert.Equal(UnixFileKind.Socket, UnixFile.KindOf(socket));
        using (var ping = ChildProcess.Start(cli, new[] { "-s", socket, "ping" }))
        {
            Assert.Equal(0, await ping.WaitForExitAsync(Timeout));
            Assert.Contains("PONG", ping.Output);
        }

        // The same program killed under verify: its socket file stays, is proven stale, and sweep removes it.
        var killed = Path.Combine(_dir, "killed.sock");
        var (verifyExit, report) = Killsafe(new[] { "verify", "--host", "--ready-file", killed, "--dir", _dir, "--no-restart", "--", redis }.Concat(Arguments(killed)).ToArray());
        Assert.Equal(0, verifyExit); // the ready file is the socket itself: listed apart, not counted
        Assert.Contains("readiness file left behind", report);
        Assert.Equal(UnixFileKind.Socket, UnixFile.KindOf(killed));
        var (_, applied) = Killsafe("sweep", "--apply", "--kind", "socket-file", "--dir", _dir);
        Assert.Contains("removed", applied);
        Assert.Equal(UnixFileKind.Missing, UnixFile.KindOf(killed));
        Assert.Equal(UnixFileKind.Socket, UnixFile.KindOf(socket)); // the live one is still there
    }

    [Fact]
    public async Task A_killed_socat_leaves_a_socket_file_it_cannot_restart_over_and_a_live_one_is_kept()
    {
        var socat = Require("/usr/bin/socat", "socat");
        var path = Path.Combine(_dir, "socat.sock");
        var (verifyExit, report) = Killsafe("verify", "--host", "--ready-file", path, "--dir", _dir, "--", socat, $"UNIX-LISTEN:{path},fork", "EXEC:/bin/cat");
        Assert.Equal(1, verifyExit);
        Assert.Contains("readiness file left behind", report);
        Assert.Contains($"restart check: bind {path}: address already in use (EADDRINUSE)", report);

        // The real restart fails too: socat does not remove a stale socket file (docs/linux-facts.md).
        using (var again = ChildProcess.Start(socat, new[] { $"UNIX-LISTEN:{path}", "EXEC:/bin/cat" }))
        {
            Assert.NotEqual(0, await again.WaitForExitAsync(Timeout));
            Assert.Contains($"\"{path}\" exists", again.Output); // socat refuses to start over an existing file
        }

        var live = Path.Combine(_dir, "live.sock");
        var server = Start(socat, $"UNIX-LISTEN:{live},fork", "EXEC:/bin/cat");
        await WaitForFileAsync(live, server);
        var (_, applied) = Killsafe("sweep", "--apply", "--kind", "socket-file", "--dir", _dir);
        Assert.Contains($"removed      socket-file  {path}", applied);
        Assert.Equal(UnixFileKind.Socket, UnixFile.KindOf(live));
        Assert.DoesNotContain("removed      socket-file  " + live, applied);
    }

    // Isolated (the default), verify starts each program again over what its SIGKILL left: PostgreSQL, redis
    // and netcat remove or ignore their own stale files and start; socat refuses an existing socket file. The
    // host keeps nothing of either run.
    [Fact]
    public async Task The_real_restart_check_agrees_with_what_each_real_program_does_over_its_own_stale_files()
    {
        var redis = Require("/usr/bin/redis-server", "redis-server");
        var socat = Require("/usr/bin/socat", "socat");
        var netcat = Require("/usr/bin/nc.openbsd", "netcat-openbsd");
        var pgBin = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).OrderBy(d => d, StringComparer.Ordinal).LastOrDefault();
        var postgres = Require(pgBin is null ? "/usr/lib/postgresql/VERSION/bin/postgres" : Path.Combine(pgBin, "postgres"), "postgresql");

        var data = Path.Combine(_dir, "pg");
        var pgSocket = Path.Combine(_dir, "pg-sock");
        Directory.CreateDirectory(pgSocket);
        using (var chown = ChildProcess.Start("chown", new[] { "-R", "postgres", _dir }))
            Assert.Equal(0, await chown.WaitForExitAsync(Timeout));
        string[] AsPostgres(params string[] command) => new[] { "/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--" }.Concat(command).ToArray();
        var initdb = AsPostgres(Path.Combine(pgBin!, "initdb"), "-D", data, "-A", "trust", "-U", "postgres");
        using (var init = ChildProcess.Start(initdb[0], initdb.Skip(1)))
            Assert.True(await init.WaitForExitAsync(TimeSpan.FromSeconds(120)) == 0, init.Output);

        var cases = new (string Name, string Ready, string[] Command, bool Starts)[]
        {
            ("postgresql", Path.Combine(pgSocket, ".s.PGSQL.5452"), AsPostgres(postgres, "-D", data, "-p", "5452", "-k", pgSocket, "-c", "listen_addresses="), true),
            ("redis", Path.Combine(_dir, "redis.sock"), new[] { redis, "--port", "0", "--unixsocket", Path.Combine(_dir, "redis.sock"), "--save", "", "--appendonly", "no", "--dir", _dir }, true),
            ("netcat", Path.Combine(_dir, "nc.sock"), new[] { netcat, "-lkU", Path.Combine(_dir, "nc.sock") }, true),
            ("socat", Path.Combine(_dir, "socat.sock"), new[] { socat, $"UNIX-LISTEN:{Path.Combine(_dir, "socat.sock")},fork", "EXEC:/bin/cat" }, false),
        };
        foreach (var (name, ready, command, starts) in cases)
        {
            var (_, output) = await Task.Run(() => Killsafe(new[] { "verify", "--json", "--timeout", "60", "--ready-file", ready, "--dir", _dir, "--" }.Concat(command).ToArray()));
            using var report = JsonDocument.Parse(output[output.IndexOf("{\n", StringComparison.Ordinal)..(output.LastIndexOf('}') + 1)]);
            Assert.True(report.RootElement.GetProperty("isolated").GetBoolean(), $"{name}: {output}");
            var again = report.RootElement.GetProperty("startedAgain");
            Assert.True(again.GetProperty("started").GetBoolean() == starts, $"{name} should {(starts ? string.Empty : "not ")}start again over its leftovers: {output}");
            Assert.Equal(UnixFileKind.Missing, UnixFile.KindOf(ready)); // the host never had the socket file
        }

        Assert.False(File.Exists(Path.Combine(data, "postmaster.pid")), "PostgreSQL's lock file reached the host");
    }
}
