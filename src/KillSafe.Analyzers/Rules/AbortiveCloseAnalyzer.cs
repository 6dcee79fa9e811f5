using System.Collections.Immutable;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Rules;

/// <summary>
/// KS3003 (suggestion): lingering on with a zero timeout makes close(2) abortive: the kernel sends RST and
/// discards data not yet sent (socket(7), SO_LINGER: "When the socket is closed as part of exit(2), it
/// always lingers in the background"; with l_linger 0 the connection is reset). Not flagged for a positive
/// timeout or lingering off.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class AbortiveCloseAnalyzer : DiagnosticAnalyzer
{
    public const string DiagnosticId = "KS3003";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        DiagnosticId,
        title: "Abortive close discards unsent data",
        messageFormat: "{0} sets lingering on with a 0 s timeout: close sends RST and discards data not yet delivered to the peer",
        category: RuleDescriptors.Reliability,
        severity: DiagnosticSeverity.Info,
        description: "SO_LINGER with l_onoff = 1 and l_linger = 0 (LingerOption(true, 0)) turns close into an abortive reset: the peer sees ECONNRESET and loses what was still in the send buffer. It avoids TIME_WAIT, but SO_REUSEADDR solves the restart problem without losing data.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start => CatalogView.RegisterOperationAction(
            start,
            ResourceKind.ListeningSocket,
            catalog =>
            {
                var lingerOption = catalog.Type(ResourceCatalog.LingerOptionType);
                return c =>
                {
                    if (c.Operation.Kind == OperationKind.Invocation)
                        AnalyzeCall(c, catalog, lingerOption);
                    else if (lingerOption is not null)
                        AnalyzeAssignment(c, catalog, lingerOption);
                };
            },
            OperationKind.Invocation,
            OperationKind.SimpleAssignment));
    }

    private static void AnalyzeCall(OperationAnalysisContext context, CatalogView catalog, INamedTypeSymbol? lingerOption)
    {
        var call = (IInvocationOperation)context.Operation;
        if (catalog.Match(call.TargetMethod) is not { Role: ApiRole.SetOption } row || !SocketCalls.SetsOption(call, row, "SO_LINGER", catalog))
            return;
        var value = SocketCalls.OptionValue(call, row);
        if (value is null || call.SemanticModel is not { } model)
            return;
        var resolver = new IdentityResolver(model, catalog, context.CancellationToken);
        bool abortive = row.Shape == ApiShape.Managed
            ? lingerOption is not null && IsAbortiveLingerOption(resolver.Origin(value), lingerOption, catalog)
            : IsAbortiveLingerStruct(value, resolver);
        if (abortive)
            context.ReportDiagnostic(Diagnostic.Create(Rule, call.Syntax.GetLocation(), call.TargetMethod.Name));
    }

    private static void AnalyzeAssignment(OperationAnalysisContext context, CatalogView catalog, INamedTypeSymbol lingerOption)
    {
        var assignment = (ISimpleAssignmentOperation)context.Operation;
        if (assignment.Target is not IPropertyReferenceOperation { Property.SetMethod: { } setter } || catalog.Match(setter) is not { Role: ApiRole.SetOption })
            return;
        if (assignment.SemanticModel is not { } model)
            return;
        var resolver = new IdentityResolver(model, catalog, context.CancellationToken);
        if (IsAbortiveLingerOption(resolver.Origin(assignment.Value), lingerOption, catalog))
            context.ReportDiagnostic(Diagnostic.Create(Rule, assignment.Syntax.GetLocation(), "LingerState"));
    }

    /// <summary><c>new LingerOption(true, 0)</c>, arguments folded through constants.</summary>
    internal static bool IsAbortiveLingerOption(IOperation value, INamedTypeSymbol lingerOption, CatalogView catalog) =>
        value is IObjectCreationOperation { Arguments.Length: 2 } creation
        && SymbolEqualityComparer.Default.Equals(creation.Type, lingerOption)
        && ConstantFolder.TryFold(IdentityResolver.ArgumentFor(creation.Arguments, 0), catalog, out var enable) && enable != 0
        && ConstantFolder.TryFold(IdentityResolver.ArgumentFor(creation.Arguments, 1), catalog, out var seconds) && seconds == 0;

    /// <summary>A <c>struct linger</c> local passed by address or reference whose l_onoff is non-zero and l_linger is 0.</summary>
    private static bool IsAbortiveLingerStruct(IOperation value, IdentityResolver resolver)
    {
        var target = IdentityResolver.Strip(value);
        if (target is IAddressOfOperation addressOf)
            target = IdentityResolver.Strip(addressOf.Reference);
        if (target is not ILocalReferenceOperation { Local: { } local })
            return false;
        var fields = new Dictionary<string, IOperation>();
        foreach (var operation in IdentityResolver.Root(value).DescendantsAndSelf())
        {
            if (operation is ISimpleAssignmentOperation { Target: IFieldReferenceOperation { Instance: ILocalReferenceOperation owner } field } assignment
                && SymbolEqualityComparer.Default.Equals(owner.Local, local))
            {
                fields[field.Field.Name] = assignment.Value;
            }
            else if (operation is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, local)
                && declarator.GetVariableInitializer()?.Value is IObjectCreationOperation { Initializer: { } initializer })
            {
                foreach (var member in initializer.Initializers.OfType<ISimpleAssignmentOperation>())
                {
                    if (member.Target is IMemberReferenceOperation reference)
                        fields[reference.Member.Name] = member.Value;
                }
            }
        }

        return fields.TryGetValue("l_onoff", out var onoff) && ConstantFolder.TryFold(onoff, resolver.Catalog, out var on) && on != 0
            && fields.TryGetValue("l_linger", out var linger) && ConstantFolder.TryFold(linger, resolver.Catalog, out var seconds) && seconds == 0;
    }
}
