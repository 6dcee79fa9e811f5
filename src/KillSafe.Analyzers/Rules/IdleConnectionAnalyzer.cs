using System.Collections.Immutable;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Rules;

/// <summary>
/// KS3004 (off by default): an accept loop hands connections to a reader that loops on them, and nothing
/// bounds how long a connection may stay idle (no SO_KEEPALIVE, no receive/read timeout, no cancellation
/// timer). When a peer host vanishes (power loss, network partition) no FIN or RST ever arrives, so the
/// read waits forever and the connection is half-open for good (tcp(7): keepalive is off by default).
/// Handlers that read once and answer (request/response) do not loop, and are not flagged.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class IdleConnectionAnalyzer : DiagnosticAnalyzer
{
    public const string DiagnosticId = "KS3004";

    /// <summary>How deep calls from the accept loop into handlers are followed.</summary>
    private const int MaxHandlerDepth = 3;

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        DiagnosticId,
        title: "Long-lived accepted connections without keepalive or idle timeout",
        messageFormat: "Connections accepted by '{0}' are read in a loop with no keepalive and no read timeout: a peer host that vanishes leaves a half-open connection that is never noticed",
        category: RuleDescriptors.Reliability,
        severity: DiagnosticSeverity.Warning,
        description: "A connection whose peer disappears without closing it stays open forever unless keepalive (SO_KEEPALIVE) or an idle timeout (ReceiveTimeout, ReadTimeout, a cancellation timer) ends it. Off by default: enable it with dotnet_diagnostic.KS3004.severity.",
        enabledByDefault: false);

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
        var accept = (IInvocationOperation)context.Operation;
        if (catalog.Match(accept.TargetMethod) is not { Role: ApiRole.Accept } || accept.SemanticModel is not { } model)
            return;
        ILoopOperation? acceptLoop = null;
        for (var parent = accept.Parent; parent is not null && acceptLoop is null; parent = parent.Parent)
            acceptLoop = parent as ILoopOperation;
        if (acceptLoop is null)
            return; // a single accept is not an accept loop

        var resolver = new IdentityResolver(model, catalog, context.CancellationToken);
        var bodies = Reachable(acceptLoop.Body, resolver);
        bool readLoop = bodies.Any(body => body.DescendantsAndSelf().OfType<ILoopOperation>().Any(loop =>
            !ReferenceEquals(loop, acceptLoop) && loop.DescendantsAndSelf().Any(op => IsRole(op, ApiRole.Read, catalog)))); // condition included: while ((n = Read(...)) > 0)
        if (!readLoop)
            return; // request/response handlers finish by themselves

        var method = IdentityResolver.Root(accept);
        bool bounded = bodies.Append(method).Any(body => body.DescendantsAndSelf().Any(op => BoundsIdleTime(op, catalog)));
        if (!bounded)
            context.ReportDiagnostic(Diagnostic.Create(Rule, accept.Syntax.GetLocation(), accept.TargetMethod.Name));
    }

    /// <summary>The accept loop's body and the bodies of same-file methods it calls, transitively (bounded).</summary>
    private static List<IOperation> Reachable(IOperation start, IdentityResolver resolver)
    {
        var result = new List<IOperation> { start };
        var seen = new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
        for (int i = 0; i < result.Count && i < 64; i++)
        {
            foreach (var call in result[i].DescendantsAndSelf().OfType<IInvocationOperation>())
            {
                var target = call.TargetMethod.OriginalDefinition;
                if (result.Count > MaxHandlerDepth * 16 || !seen.Add(target))
                    continue;
                foreach (var reference in target.DeclaringSyntaxReferences)
                {
                    if (reference.SyntaxTree == resolver.Model.SyntaxTree
                        && resolver.Model.GetOperation(reference.GetSyntax(resolver.CancellationToken), resolver.CancellationToken) is { } body)
                        result.Add(body);
                }
            }
        }

        return result;
    }

    private static bool IsRole(IOperation operation, ApiRole role, CatalogView catalog) =>
        operation is IInvocationOperation invocation && catalog.Match(invocation.TargetMethod)?.Role == role;

    /// <summary>Keepalive, a receive or read timeout, or a cancellation timer.</summary>
    private static bool BoundsIdleTime(IOperation operation, CatalogView catalog)
    {
        switch (operation)
        {
            case IInvocationOperation invocation when catalog.Match(invocation.TargetMethod) is { } row:
                return row.Role == ApiRole.IdleTimeout || SocketCalls.SetsOption(invocation, row, "SO_KEEPALIVE", catalog);
            case IObjectCreationOperation { Constructor: { } ctor }:
                return catalog.Match(ctor)?.Role == ApiRole.IdleTimeout;
            case ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property.SetMethod: { } setter } }:
                return catalog.Match(setter)?.Role == ApiRole.IdleTimeout;
            default:
                return false;
        }
    }
}
