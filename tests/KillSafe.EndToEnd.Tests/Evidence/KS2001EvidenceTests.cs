using System.Net.Sockets;
using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using KillSafe.Verification;
using Xunit;

namespace KillSafe.EndToEnd.Tests.Evidence;

/// <summary>
/// KS2001 evidence: a real child binds a socket path the flagged way and is killed with SIGKILL; the file
/// stays and the restart fails. The program the code fix produces restarts cleanly, and its helper never
/// deletes a regular file or steals the path of a live listener.
/// </summary>
public sealed class KS2001EvidenceTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    // The flagged pattern, as services write it.
    private const string FlaggedProgram = """
        using System;
        using System.Net.Sockets;
        using System.Threading;

        var path = args[0];
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e)
        {
            Console.WriteLine("BIND-FAILED " + e.SocketErrorCode);
            return 3;
        }

        socket.Listen(8);
        Console.WriteLine("READY");
        while (true)
            socket.Accept().Dispose();
        """;

    private readonly ScratchDirectory _scratch = new("ks2001");
    private readonly List<ChildProcess> _children = new();

    public void Dispose()
    {
        foreach (var child in _children)
            child.Dispose();
        _scratch.Dispose(); // removes the socket files the children left behind
    }

    private ChildProcess Run(string dll, string socketPath)
    {
        var child = ChildProcess.Start(DotnetCli.Host, new[] { dll, socketPath }, InMemoryProgram.ChildEnvironment);
        _children.Add(child);
        return child;
    }

    private async Task<string> FixedProgramAsync()
    {
        var diagnostics = await AnalyzerRun.DiagnosticsAsync(FlaggedProgram, new StaleUnixSocketFileAnalyzer());
        Assert.Contains(diagnostics, d => d.Id == "KS2001");
        var fixedSource = await AnalyzerRun.FixAllAsync(FlaggedProgram, new StaleUnixSocketFileAnalyzer(), new DeleteStaleSocketFileCodeFix());
        Assert.Empty(await AnalyzerRun.DiagnosticsAsync(fixedSource, new StaleUnixSocketFileAnalyzer()));
        return fixedSource;
    }

    [Fact]
    public async Task Flagged_code_leaves_the_socket_file_after_SIGKILL_and_cannot_restart()
    {
        var dll = InMemoryProgram.Build(FlaggedProgram, "Flagged", _scratch.Path);
        var socketPath = _scratch.File("flagged.sock");

        var first = Run(dll, socketPath);
        await first.WaitForOutputAsync("READY", Timeout);
        Assert.Equal(128 + 9, await first.KillAsync(KillSignal.Kill, Timeout));

        Assert.Equal(UnixFileKind.Socket, UnixFile.KindOf(socketPath));
        var restart = RestartCheck.UnixSocketPath(socketPath);
        Assert.False(restart.Succeeded);
        Assert.Equal("EADDRINUSE", restart.ErrnoName);

        var second = Run(dll, socketPath);
        Assert.Equal(3, await second.WaitForExitAsync(Timeout));
        Assert.Contains("BIND-FAILED AddressAlreadyInUse", second.Output);
    }

    [Fact]
    public async Task Fixed_code_restarts_after_SIGKILL()
    {
        var dll = InMemoryProgram.Build(await FixedProgramAsync(), "Fixed", _scratch.Path);
        var socketPath = _scratch.File("fixed.sock");

        var first = Run(dll, socketPath);
        await first.WaitForOutputAsync("READY", Timeout);
        Assert.Equal(128 + 9, await first.KillAsync(KillSignal.Kill, Timeout));
        Assert.Equal(UnixFileKind.Socket, UnixFile.KindOf(socketPath)); // SIGKILL still leaves the file...

        var second = Run(dll, socketPath);
        await second.WaitForOutputAsync("READY", Timeout); // ...but the fixed program removes it and starts
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(socketPath));
    }

    [Fact]
    public async Task Fixed_code_never_deletes_a_regular_file_at_the_socket_path()
    {
        var dll = InMemoryProgram.Build(await FixedProgramAsync(), "FixedRegular", _scratch.Path);
        var path = _scratch.File("precious.data");
        File.WriteAllText(path, "not a socket");

        var child = Run(dll, path);
        Assert.Equal(3, await child.WaitForExitAsync(Timeout));
        Assert.Contains("BIND-FAILED AddressAlreadyInUse", child.Output);
        Assert.Equal(UnixFileKind.Regular, UnixFile.KindOf(path));
        Assert.Equal("not a socket", File.ReadAllText(path));
    }

    [Fact]
    public async Task Fixed_code_does_not_steal_the_path_of_a_live_listener()
    {
        var dll = InMemoryProgram.Build(await FixedProgramAsync(), "FixedLive", _scratch.Path);
        var socketPath = _scratch.File("live.sock");

        var owner = Run(dll, socketPath);
        await owner.WaitForOutputAsync("READY", Timeout);
        var intruder = Run(dll, socketPath);
        Assert.Equal(3, await intruder.WaitForExitAsync(Timeout));
        Assert.Contains("BIND-FAILED AddressAlreadyInUse", intruder.Output);

        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(socketPath)); // the first owner still serves it
        Assert.False(owner.HasExited);
    }
}
