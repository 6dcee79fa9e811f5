using System.Collections.Immutable;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Rules;

/// <summary>
/// KS1005: a named <c>Semaphore</c>, <c>EventWaitHandle</c> or <c>MemoryMappedFile</c> throws
/// PlatformNotSupportedException on Linux and macOS (measured, docs/linux-facts.md). Quiet when guarded by
/// <c>OperatingSystem.IsWindows()</c>, <c>RuntimeInformation.IsOSPlatform(OSPlatform.Windows)</c> or the
/// project's own helper for them (a method or property that returns one, or is marked
/// <c>[SupportedOSPlatformGuard("windows")]</c>); when every caller of the creating member in the compilation
/// is so guarded; when the exception is caught around it; or when the member, a containing type or the
/// assembly (a Windows-only target framework) is marked <c>[SupportedOSPlatform("windows")]</c>. A named
/// Mutex works on Linux and is never flagged.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class WindowsOnlyNamedObjectAnalyzer : DiagnosticAnalyzer
{
    public const string DiagnosticId = "KS1005";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        DiagnosticId,
        title: "Named Semaphore, EventWaitHandle or MemoryMappedFile used where .NET does not support it",
        messageFormat: "'{0}' with a name throws PlatformNotSupportedException on Linux and macOS; guard it with OperatingSystem.IsWindows(), or use a named Mutex, a FileShare.None lock file, or sem_open with sem_unlink",
        category: RuleDescriptors.Reliability,
        severity: DiagnosticSeverity.Warning,
        description: "On Linux and macOS .NET supports no named semaphores, events or memory-mapped files: the constructor or factory throws PlatformNotSupportedException. Named Mutex is supported (backed by a file under /tmp/.dotnet/shm).");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start => CatalogView.RegisterOperationAction(
            start,
            ResourceKind.WindowsOnlyNamedObject,
            catalog =>
            {
                var supported = catalog.Type("System.Runtime.Versioning.SupportedOSPlatformAttribute");
                if (IsWindowsOnly(catalog.Compilation.Assembly, supported))
                    return null; // a Windows-only assembly (a net*-windows target framework)
                return c => Analyze(c, catalog, supported);
            },
            OperationKind.Invocation,
            OperationKind.ObjectCreation));
    }

    private static void Analyze(OperationAnalysisContext context, CatalogView catalog, INamedTypeSymbol? supported)
    {
        var (method, arguments) = CallSite.Of(context.Operation);
        if (method is null || catalog.Match(method) is not { Role: ApiRole.Create } row || row.IdentityArgument >= arguments.Length)
            return;
        if (method.Parameters[row.IdentityArgument].Type.SpecialType != SpecialType.System_String)
            return; // an overload without a name
        if (!IsCertainlyNotNull(IdentityResolver.ArgumentFor(arguments, row.IdentityArgument)))
            return; // a null name is supported everywhere; an unknown one stays silent
        for (ISymbol? symbol = context.ContainingSymbol; symbol is not null; symbol = symbol.ContainingSymbol)
        {
            if (IsWindowsOnly(symbol, supported))
                return;
        }

        if (IsGuarded(context.Operation, catalog) || Catches(context.Operation, catalog.Compilation) || CallersAreGuarded(context.ContainingSymbol, context.Operation, catalog, context.CancellationToken))
            return;
        var name = method.MethodKind == MethodKind.Constructor ? "new " + method.ContainingType.Name : method.ContainingType.Name + "." + method.Name;
        context.ReportDiagnostic(Diagnostic.Create(Rule, context.Operation.Syntax.GetLocation(), name));
    }

    private static bool IsCertainlyNotNull(IOperation name)
    {
        var value = IdentityResolver.Strip(name);
        if (value.ConstantValue.HasValue)
            return value.ConstantValue.Value is not null;
        if (value is IInterpolatedStringOperation || value is IBinaryOperation { OperatorKind: BinaryOperatorKind.Add })
            return true;
        return value.SemanticModel?.GetTypeInfo(value.Syntax).Nullability.FlowState == NullableFlowState.NotNull;
    }

    /// <summary>[SupportedOSPlatform("windows...")] on the symbol.</summary>
    private static bool IsWindowsOnly(ISymbol symbol, INamedTypeSymbol? supported) =>
        supported is not null && symbol.GetAttributes().Any(a =>
            SymbolEqualityComparer.Default.Equals(a.AttributeClass, supported)
            && a.ConstructorArguments.Length == 1 && a.ConstructorArguments[0].Value is string platform
            && platform.StartsWith("windows", StringComparison.OrdinalIgnoreCase));

    /// <summary>Inside the true branch of a Windows check, or after <c>if (!IsWindows()) return/throw;</c>.</summary>
    private static bool IsGuarded(IOperation operation, CatalogView catalog)
    {
        IOperation current = operation;
        for (var parent = operation.Parent; parent is not null; current = parent, parent = parent.Parent)
        {
            if (parent is IConditionalOperation conditional && ReferenceEquals(conditional.WhenTrue, current) && ChecksWindows(conditional.Condition, catalog, negated: false))
                return true;
            if (parent is IBlockOperation block)
            {
                foreach (var statement in block.Operations)
                {
                    if (ReferenceEquals(statement, current))
                        break;
                    if (statement is IConditionalOperation { WhenFalse: null } early && ChecksWindows(early.Condition, catalog, negated: true) && Exits(early.WhenTrue))
                        return true;
                }
            }
        }

        return false;
    }

    private static bool Exits(IOperation branch) => branch switch
    {
        IReturnOperation or IThrowOperation => true,
        IExpressionStatementOperation { Operation: IThrowOperation } => true,
        IBlockOperation block => block.Operations.LastOrDefault() is { } last && Exits(last),
        _ => false,
    };

    /// <summary>
    /// True when <paramref name="condition"/> being true implies running on Windows, or with
    /// <paramref name="negated"/>, implies not running on Windows (for <c>if (!IsWindows()) return;</c>).
    /// </summary>
    private static bool ChecksWindows(IOperation condition, CatalogView catalog, bool negated)
    {
        condition = IdentityResolver.Strip(condition);
        switch (condition)
        {
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                return ChecksWindows(not.Operand, catalog, !negated);
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd } both:
                return ChecksWindows(both.LeftOperand, catalog, negated) || ChecksWindows(both.RightOperand, catalog, negated);
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalOr } either:
                return ChecksWindows(either.LeftOperand, catalog, negated) && ChecksWindows(either.RightOperand, catalog, negated);
            case IInvocationOperation invocation when !negated && catalog.Match(invocation.TargetMethod) is { Role: ApiRole.PlatformGuard } row:
                return row.IdentityArgument == ApiEntry.ReceiverIdentity
                    || (invocation.Arguments.Length > 0 && IdentityResolver.Strip(invocation.Arguments[0].Value) is IPropertyReferenceOperation { Property.Name: "Windows" });
            case IInvocationOperation helper when !negated:
                return IsWindowsHelper(helper.TargetMethod, catalog, 0);
            case IPropertyReferenceOperation property when !negated && property.Property.GetMethod is { } getter:
                return IsWindowsHelper(getter, catalog, 0);
            default:
                return false;
        }
    }

    /// <summary>
    /// The project's own platform check: marked <c>[SupportedOSPlatformGuard("windows")]</c> (as CA1416 reads it),
    /// or a source method whose every return says Windows (<c>=> OperatingSystem.IsWindows()</c>).
    /// </summary>
    private static bool IsWindowsHelper(IMethodSymbol method, CatalogView catalog, int depth)
    {
        var symbols = method.AssociatedSymbol is { } property ? new ISymbol[] { method, property } : new ISymbol[] { method };
        if (symbols.Any(s => s.GetAttributes().Any(a => a.AttributeClass?.Name == "SupportedOSPlatformGuardAttribute"
                && a.ConstructorArguments.Length == 1 && a.ConstructorArguments[0].Value is string platform && platform.StartsWith("windows", StringComparison.OrdinalIgnoreCase))))
            return true;
        if (depth > 2 || method.DeclaringSyntaxReferences.Length != 1)
            return false;
        var syntax = method.DeclaringSyntaxReferences[0].GetSyntax();
        if (!catalog.Compilation.ContainsSyntaxTree(syntax.SyntaxTree))
            return false;
#pragma warning disable RS1030 // A helper in another file of the compilation: its one body, bound once per call of the check.
        var body = catalog.Compilation.GetSemanticModel(syntax.SyntaxTree).GetOperation(syntax);
#pragma warning restore RS1030
        var returns = body?.DescendantsAndSelf().OfType<IReturnOperation>().Where(r => r.ReturnedValue is not null).ToList();
        return returns is { Count: > 0 } && returns.All(r => ChecksWindows(r.ReturnedValue!, catalog, negated: false));
    }

    /// <summary>Inside a try whose catch takes PlatformNotSupportedException (or NotSupportedException, or anything): the program expects the failure.</summary>
    private static bool Catches(IOperation operation, Compilation compilation)
    {
        for (var parent = operation.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent is not ITryOperation attempt || !attempt.Body.Syntax.Span.Contains(operation.Syntax.Span))
                continue;
            foreach (var handler in attempt.Catches)
            {
                var caught = handler.ExceptionType;
                if (caught.SpecialType == SpecialType.System_Object || caught.ToDisplayString() is "System.Exception" or "System.SystemException" or "System.NotSupportedException" or "System.PlatformNotSupportedException")
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The creating member is not public and every call of it in the compilation is guarded (one level of
    /// callers): <c>IsWindows() ? new NamedEvent(name) : new FileEvent(name)</c>.
    /// </summary>
    private static bool CallersAreGuarded(ISymbol containing, IOperation creation, CatalogView catalog, System.Threading.CancellationToken cancellationToken)
    {
        if (containing is not IMethodSymbol member || member.DeclaredAccessibility == Accessibility.Public && member.ContainingType.DeclaredAccessibility == Accessibility.Public || creation.SemanticModel is not { } model)
            return false;
        var calls = CallSites.Of(member, new IdentityResolver(model, catalog, cancellationToken));
        return calls is { Count: > 0 } && calls.All(c => IsGuarded(c.Call, catalog) || Catches(c.Call, catalog.Compilation));
    }
}
