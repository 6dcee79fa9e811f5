using System.Collections.Immutable;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Rules;

/// <summary>
/// KS2002: a Unix socket path bound with raw <c>bind(2)</c> is never unlinked. <c>close(2)</c> does not
/// remove the socket file (unix(7): the file "must be deleted by the caller when it is no longer needed"),
/// unlike managed <c>Socket.Dispose</c>, which does (docs/linux-facts.md). So the file stays even after a clean exit.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class RawUnixSocketNeverUnlinkedAnalyzer : DiagnosticAnalyzer
{
    public const string DiagnosticId = "KS2002";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        DiagnosticId,
        title: "Unix socket path bound with raw bind and never unlinked",
        messageFormat: "'{0}' binds the Unix socket path '{1}' and nothing unlinks it: close does not remove the socket file, so it stays behind even after a clean exit",
        category: RuleDescriptors.Reliability,
        severity: DiagnosticSeverity.Warning,
        description: "A socket file created by bind(2) stays on disk until it is unlinked; close(2) does not remove it (managed Socket.Dispose does). Unlink the path after closing the socket, for example in Dispose.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var cleanup = CleanupConfiguration.Read(start.Options, DiagnosticId);
            CatalogView.RegisterOperationAction(start, ResourceKind.UnixSocketFile, catalog => c => Analyze(c, catalog, cleanup), OperationKind.Invocation);
        });
    }

    private static void Analyze(OperationAnalysisContext context, CatalogView catalog, ImmutableHashSet<string> cleanup)
    {
        var call = (IInvocationOperation)context.Operation;
        if (catalog.Match(call.TargetMethod) is not { Kind: ResourceKind.UnixSocketFile, Role: ApiRole.Create, Shape: ApiShape.Native } || call.SemanticModel is not { } model)
            return; // managed binds are unlinked by Socket.Dispose
        var resolver = new IdentityResolver(model, catalog, context.CancellationToken);
        var binding = UnixSocketBinding.TryCreate(call, resolver);
        if (binding is null || binding.Path.IsUnknown)
            return;
        var removed = Precedence.ActionsAfter(call, context.ContainingSymbol, ActionFinder.Removals(resolver, ResourceKind.UnixSocketFile, cleanup));
        if (removed.Any(r => r.IsUnknown || r.Equals(binding.Path)))
            return;
        var additional = binding.PathExpression is null ? ImmutableArray<Location>.Empty : ImmutableArray.Create(binding.PathExpression.Syntax.GetLocation());
        context.ReportDiagnostic(Diagnostic.Create(Rule, call.Syntax.GetLocation(), additional, call.TargetMethod.Name, binding.DisplayPath));
    }
}
