using KillSafe.Analyzers.Rules;
using KillSafe.CodeFixes;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace KillSafe.Analyzers.Tests.Rules;

using KS3003 = Verify<AbortiveCloseAnalyzer, EmptyCodeFixProvider>;

/// <summary>KS3003: the diagnostic, its absence on correct code, the fix and Fix All.</summary>
public class KS3003Tests
{
    [Fact]
    public Task KS3003_abortive_linger_in_every_spelling_is_flagged() => KS3003.AnalyzerAsync("""

using System.Net.Sockets;
using Tmds.Linux;
using static Tmds.Linux.LibC;
unsafe class Server
{
    const int NoWait = 0;
    void Managed(Socket s, TcpClient c)
    {
        {|#0:s.LingerState = new LingerOption(true, 0)|};
        {|#1:c.LingerState = new LingerOption(enable: true, seconds: NoWait)|};
        var abort = new LingerOption(true, 0);
        {|#2:s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Linger, abort)|};
    }
    void Native(int fd)
    {
        var l = new linger { l_onoff = 1, l_linger = 0 };
        {|#3:setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, (socklen_t)sizeof(linger))|};
    }
}
""", ExtraReferences.TmdsLibC,
        KS3003.Diagnostic(AbortiveCloseAnalyzer.Rule).WithLocation(0).WithArguments("LingerState"),
        KS3003.Diagnostic(AbortiveCloseAnalyzer.Rule).WithLocation(1).WithArguments("LingerState"),
        KS3003.Diagnostic(AbortiveCloseAnalyzer.Rule).WithLocation(2).WithArguments("SetSocketOption"),
        KS3003.Diagnostic(AbortiveCloseAnalyzer.Rule).WithLocation(3).WithArguments("setsockopt"));

    [Fact]
    public Task KS3003_positive_timeout_and_lingering_off_are_quiet() => KS3003.AnalyzerAsync("""

using System.Net.Sockets;
class Server
{
    void M(Socket s, bool enable)
    {
        s.LingerState = new LingerOption(true, 5);
        s.LingerState = new LingerOption(false, 0);
        s.LingerState = new LingerOption(enable, 0);
        s.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Linger, new LingerOption(true, 10));
    }
}
""");

    [Fact]
    public async Task KS3003_graceful_close_turns_lingering_off_everywhere()
    {
        var test = new KillSafeTest<AbortiveCloseAnalyzer, GracefulCloseCodeFix>
        {
            TestCode = """
using System.Net.Sockets;

class Server
{
    void M(Socket s, TcpClient c)
    {
        {|#0:s.LingerState = new LingerOption(true, 0)|};
        {|#1:c.Client.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Linger, new LingerOption(true, 0))|};
    }
}

""",
            FixedCode = """
using System.Net.Sockets;

class Server
{
    void M(Socket s, TcpClient c)
    {
        s.LingerState = new LingerOption(false, 0);
        c.Client.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Linger, new LingerOption(false, 0));
    }
}

""",
        };
        test.ExpectedDiagnostics.Add(new DiagnosticResult(AbortiveCloseAnalyzer.Rule).WithLocation(0).WithArguments("LingerState"));
        test.ExpectedDiagnostics.Add(new DiagnosticResult(AbortiveCloseAnalyzer.Rule).WithLocation(1).WithArguments("SetSocketOption"));
        await test.RunAsync(CancellationToken.None);
    }
}
