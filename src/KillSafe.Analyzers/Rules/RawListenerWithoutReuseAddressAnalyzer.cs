using System.Collections.Immutable;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Rules;

/// <summary>
/// KS3001: a raw AF_INET/AF_INET6 stream socket is bound with <c>bind(2)</c> and put in <c>listen(2)</c>
/// without <c>setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)</c> before the bind. After a restart the bind fails
/// with EADDRINUSE while connections of the previous run are in TIME_WAIT (60 s on Linux; socket(7):
/// SO_REUSEADDR "allow reuse of local addresses"; measured in docs/linux-facts.md). Managed sockets are KS3002's.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RawListenerWithoutReuseAddressAnalyzer : DiagnosticAnalyzer
{
    public const string DiagnosticId = "KS3001";

    // socket(7) and <sys/socket.h>: AF_INET = 2, AF_INET6 = 10.
    private const long AfInet = 2, AfInet6 = 10;

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        DiagnosticId,
        title: "Listening socket bound without SO_REUSEADDR",
        messageFormat: "'{0}' binds a listening TCP socket without setting SO_REUSEADDR first: after a restart, bind fails with EADDRINUSE for the TIME_WAIT period (60 s)",
        category: RuleDescriptors.Reliability,
        severity: DiagnosticSeverity.Warning,
        description: "A TCP listener that is restarted while connections of its previous run are in TIME_WAIT cannot bind its port without SO_REUSEADDR, which must be set with setsockopt before bind. .NET's Socket sets it for ProtocolType.Tcp by itself; raw bind(2) does not.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
            CatalogView.RegisterOperationAction(start, ResourceKind.ListeningSocket, catalog => c => Analyze(c, catalog), OperationKind.Invocation));
    }

    private static void Analyze(OperationAnalysisContext context, CatalogView catalog)
    {
        var call = (IInvocationOperation)context.Operation;
        if (catalog.Match(call.TargetMethod) is not { Role: ApiRole.Create, Shape: ApiShape.Native } row || call.SemanticModel is not { } model)
            return;
        var resolver = new IdentityResolver(model, catalog, context.CancellationToken);
        if (SocketCalls.HandleOf(call, row) is not { } fd)
            return;
        var opening = SocketCalls.OpeningOf(fd, resolver);
        if (opening is null || opening.IsManaged || opening.Family is not (AfInet or AfInet6) || !opening.IsStream)
            return; // datagram, Unix, or not traceable: not this rule's
        var socket = resolver.Resolve(fd);
        if (socket.IsUnknown || !SocketCalls.ListensOn(call, context.ContainingSymbol, socket, resolver))
            return; // sockets that never listen are not flagged

        var reuse = new ActionFinder(resolver, (c, r) => SocketCalls.SetsOption(c, r, "SO_REUSEADDR", catalog));
        if (Precedence.ActionsBefore(call, context.ContainingSymbol, reuse).Any(r => r.IsUnknown || r.Equals(socket)))
            return;
        context.ReportDiagnostic(Diagnostic.Create(Rule, call.Syntax.GetLocation(), call.TargetMethod.Name));
    }
}
