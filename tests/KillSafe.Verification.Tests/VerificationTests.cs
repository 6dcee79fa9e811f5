using System.Net.Sockets;
using Xunit;

namespace KillSafe.Verification.Tests;

/// <summary>The kill harness, file-kind and restart checks against real processes and real files.</summary>
public sealed class VerificationTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"killsafe-verification-{Environment.ProcessId}-{Guid.NewGuid():N}");

    public VerificationTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ChildProcess Shell(string script) => ChildProcess.Start("/bin/sh", new[] { "-c", script });

    [Fact]
    public void Every_public_exception_of_the_library_is_a_VerificationException()
    {
        // One base type: a caller's single catch takes whatever the library throws for a person to read.
        var exceptions = typeof(VerificationException).Assembly.GetExportedTypes().Where(t => typeof(Exception).IsAssignableFrom(t)).ToList();
        Assert.Contains(typeof(LeakException), exceptions);
        Assert.All(exceptions, t => Assert.True(typeof(VerificationException).IsAssignableFrom(t), $"{t.Name} is not a VerificationException"));
    }

    [Theory]
    [InlineData(KillSignal.Kill)]
    [InlineData(KillSignal.Term)]
    [InlineData(KillSignal.Hup)]
    public async Task A_signal_ends_the_child_and_the_exit_code_names_it(KillSignal signal)
    {
        using var child = Shell("echo READY; exec sleep 60");
        await child.WaitForOutputAsync("READY", Timeout);
        Assert.Equal(128 + (int)signal, await child.KillAsync(signal, Timeout));
        Assert.True(child.HasExited);
        Assert.Throws<VerificationException>(() => child.Signal(signal)); // never signal a reaped pid
    }

    [Fact]
    public async Task Readiness_timeout_reports_the_child_output()
    {
        using var child = Shell("echo starting up; exec sleep 60");
        await child.WaitForOutputAsync("starting up", Timeout); // the output exists before the timed wait begins
        var error = await Assert.ThrowsAsync<VerificationException>(() => child.WaitForOutputAsync("READY", TimeSpan.FromMilliseconds(500)));
        Assert.Contains("did not print 'READY'", error.Message);
        Assert.Contains("starting up", error.Message);
    }

    [Fact]
    public async Task A_child_that_exits_before_ready_is_reported_with_its_code()
    {
        using var child = Shell("echo broken config >&2; exit 7");
        var error = await Assert.ThrowsAsync<VerificationException>(() => child.WaitForOutputAsync("READY", Timeout));
        Assert.Contains("exited with code 7", error.Message);
        Assert.Contains("broken config", error.Message);
    }

    [Fact]
    public void A_program_that_does_not_exist_is_a_clear_error()
    {
        var error = Assert.Throws<VerificationException>(() => ChildProcess.Start(Path.Combine(_dir, "no-such-program"), Array.Empty<string>()));
        Assert.Contains("cannot start", error.Message);
    }

    [Fact]
    public void File_kinds_tell_a_socket_from_a_regular_file_and_do_not_follow_symlinks()
    {
        var socketPath = Path.Combine(_dir, "s.sock");
        var regular = Path.Combine(_dir, "regular");
        var link = Path.Combine(_dir, "link");
        File.WriteAllText(regular, "x");
        File.CreateSymbolicLink(link, regular);
        using (var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            socket.Bind(new UnixDomainSocketEndPoint(socketPath));
            Assert.Equal(UnixFileKind.Socket, UnixFile.KindOf(socketPath));
            Assert.Equal(FileAttributes.Normal, File.GetAttributes(socketPath)); // why System.IO cannot tell
        }

        Assert.Equal(UnixFileKind.Missing, UnixFile.KindOf(socketPath)); // Dispose removed it (docs/linux-facts.md)
        Assert.Equal(UnixFileKind.Regular, UnixFile.KindOf(regular));
        Assert.Equal(UnixFileKind.Symlink, UnixFile.KindOf(link));
        Assert.Equal(UnixFileKind.Directory, UnixFile.KindOf(_dir));
        Assert.Equal(UnixFileKind.Missing, UnixFile.KindOf(Path.Combine(regular, "below-a-file")));
    }

    [Fact]
    public void Restart_check_fails_on_a_path_in_use_and_leaves_a_free_path_free()
    {
        var path = Path.Combine(_dir, "r.sock");
        var free = RestartCheck.UnixSocketPath(path);
        Assert.True(free.Succeeded, free.ToString());
        Assert.Equal(UnixFileKind.Missing, UnixFile.KindOf(path));

        File.WriteAllText(path, "in the way");
        var blocked = RestartCheck.UnixSocketPath(path);
        Assert.False(blocked.Succeeded);
        Assert.Equal("EADDRINUSE", blocked.ErrnoName);
    }
}
