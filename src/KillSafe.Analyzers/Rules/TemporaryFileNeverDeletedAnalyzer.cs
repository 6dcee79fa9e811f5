using System.Collections.Immutable;
using KillSafe.Analyzers.Catalog;
using KillSafe.Analyzers.Flow;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Rules;

/// <summary>
/// KS5003 (suggestion): a temporary file — <c>Path.GetTempFileName()</c>, which creates the file, or a file
/// created under <c>Path.GetTempPath()</c> — that nothing deletes. /tmp is not cleaned when the process
/// ends; on many systems only at boot or after days (systemd-tmpfiles), so every run adds a file.
/// Deleting counts in every shape seen on real code (docs/accuracy.md): <c>File.Delete</c>, a move away,
/// a recursive delete of a directory the path is built from (in a finally, a Dispose, a [TearDown]), a
/// helper of the compilation that does one of these, and a method of a library that is not the framework's
/// (the code under test may delete it). A <c>GetTempFileName()</c> whose name is never kept (discarded,
/// changed into another name, used once by a framework call) can never be deleted: always reported.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TemporaryFileNeverDeletedAnalyzer : DiagnosticAnalyzer
{
    public const string DiagnosticId = "KS5003";

    internal static readonly DiagnosticDescriptor Rule = RuleDescriptors.Create(
        DiagnosticId,
        title: "Temporary file that is never deleted",
        messageFormat: "'{0}' creates the temporary file '{1}' and nothing deletes it: the system does not remove it when the process ends, so every run leaves one behind. Delete it in a finally block, or open it with FileOptions.DeleteOnClose.",
        category: RuleDescriptors.Reliability,
        severity: DiagnosticSeverity.Info,
        description: "Path.GetTempFileName creates an empty file, and files written under Path.GetTempPath stay there after the process ends. Delete them in a finally block (or use FileOptions.DeleteOnClose when the file is used through one stream), so that normal exits and exceptions leave nothing behind.");

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var cleanup = CleanupConfiguration.Read(start.Options, DiagnosticId);
            CatalogView.RegisterOperationAction(start, ResourceKind.TemporaryFile, catalog => c => Analyze(c, catalog, cleanup), OperationKind.Invocation, OperationKind.ObjectCreation);
        });
    }

    /// <summary>
    /// The temporary file <paramref name="operation"/> creates: its identity, how to show it, and whether its name
    /// is lost at once (then nothing later can delete it); null when it creates none.
    /// </summary>
    /// <remarks>FreshName: a <c>GetTempFileName</c> name kept in a local of this body, which no other member can spell.</remarks>
    private static (ResourceIdentity[] Paths, string Display, bool NameLost, bool FreshName)? Created(IOperation operation, IdentityResolver resolver)
    {
        var (method, arguments) = CallSite.Of(operation);
        if (method is null || resolver.Catalog.Match(method) is not { Role: ApiRole.Create } row)
            return null;
        if (row.IdentityArgument == ApiEntry.ReturnIdentity)
        {
            // GetTempFileName: the path lives in the variable it is stored in.
            // (a read of a variable written once resolves to the call itself).
            if (KernelObjectCreation.StoredIn(operation) is ILocalSymbol local)
                return (new[] { resolver.Resolve(operation), ResourceIdentity.FromSymbol(local, local.Name) }, local.Name, false, true);
            return NameIsLost(operation, resolver.Catalog) ? (new[] { resolver.Resolve(operation) }, CallSite.Display(method) + "()", true, true) : null;
        }

        if (!KernelObjectCreation.HasRequiredFlag(row, arguments, resolver.Catalog) || row.IdentityArgument >= arguments.Length || FileOptionsArgument.DeletesOnClose(arguments, resolver.Catalog))
            return null;
        var path = IdentityResolver.ArgumentFor(arguments, row.IdentityArgument);
        if (!PathRoot.StartsAt(path, resolver, PathRoot.IsTempPath))
            return null;
        var identity = resolver.Resolve(path);
        return identity.IsUnknown ? null : (new[] { identity }, path.Syntax.ToString(), false, false);
    }

    /// <summary>
    /// The name <c>GetTempFileName()</c> returns is never kept, so the file it made can never be deleted:
    /// the call is discarded, its name is changed into another one (<c>+ ".x"</c>, <c>Path.ChangeExtension</c>,
    /// <c>Path.GetFileNameWithoutExtension</c>), or a framework call uses it once (<c>File.OpenHandle</c>).
    /// Returned, stored, moved, deleted, kept by an object (<c>new FileInfo(name)</c>, the stream of <c>File.Create</c>), respelled
    /// (<c>Path.GetFullPath</c>), or given to code of the compilation or of another library: not lost.
    /// </summary>
    private static bool NameIsLost(IOperation call, CatalogView catalog)
    {
        var user = call.Parent;
        while (user is IConversionOperation or IParenthesizedOperation)
            user = user.Parent;
        switch (user)
        {
            case IExpressionStatementOperation:
            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add }:
            case IInterpolationOperation:
                return true;
            case IArgumentOperation { Parent: IInvocationOperation invocation }:
                return catalog.Match(invocation.TargetMethod) is not { Role: ApiRole.Remove } && ActionFinder.IsFramework(invocation.TargetMethod)
                    && !invocation.TargetMethod.DeclaringSyntaxReferences.Any()
                    && !KeepsTheName(invocation.TargetMethod)
                    && !(CarriesAName(invocation.Type) && invocation.Parent is not IExpressionStatementOperation);
            case IArgumentOperation { Parent: IObjectCreationOperation creation }:
                // new FileInfo(name), new FileStream(name, ...): the object keeps the name (FileInfo.Delete, stream.Name);
                // only an object thrown away at once loses it.
                return creation.Parent is IExpressionStatementOperation && !FileOptionsArgument.DeletesOnClose(creation.Arguments, catalog);
            default:
                return false;
        }
    }

    /// <summary>A result that carries the file's name (<c>File.Create</c>'s FileStream has <c>Name</c>, a FileInfo <c>FullName</c>).</summary>
    private static bool CarriesAName(ITypeSymbol? type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current.GetMembers("Name").Concat(current.GetMembers("FullName")).OfType<IPropertySymbol>().Any(p => p.Type.SpecialType == SpecialType.System_String))
                return true;
        }

        return false;
    }

    /// <summary>Framework calls whose result is the same file under another spelling (<c>Path.GetFullPath</c>).</summary>
    private static bool KeepsTheName(IMethodSymbol method) =>
        method.Name == "GetFullPath" && method.ContainingType?.ToDisplayString() == ResourceCatalog.PathType;

    /// <summary>
    /// The directories a path is built from (<c>dir</c> in <c>Path.Combine(dir, "a")</c>, <c>dir + "/a"</c>,
    /// <c>$"{dir}/a"</c>, through variables written once): a recursive delete of any of them deletes the file.
    /// </summary>
    internal static System.Collections.Generic.List<ResourceIdentity> Ancestors(IOperation path, IdentityResolver resolver)
    {
        var result = new System.Collections.Generic.List<ResourceIdentity>();
        var value = path;
        for (int depth = 0; depth < IdentityResolver.MaxDepth; depth++)
        {
            var origin = resolver.Origin(value);
            IOperation? parent = origin switch
            {
                IInvocationOperation { TargetMethod: { Name: "Combine", ContainingType: { } type } } combine
                    when type.ToDisplayString() == ResourceCatalog.PathType && combine.Arguments.Length > 0 =>
                    combine.Arguments[0].Value is IArrayCreationOperation { Initializer.ElementValues: { Length: > 0 } elements } ? elements[0] : combine.Arguments[0].Value,
                IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } binary => binary.LeftOperand,
                IInterpolatedStringOperation interpolated => interpolated.Parts.FirstOrDefault() is IInterpolationOperation hole ? hole.Expression : null,
                _ => null,
            };
            if (parent is null || PathRoot.IsTempPath(resolver.Origin(parent)))
                break;
            // Both the variable the directory is kept in and the value it holds name it.
            var stripped = IdentityResolver.Strip(parent);
            if (stripped is ILocalReferenceOperation or IFieldReferenceOperation or IPropertyReferenceOperation or IParameterReferenceOperation)
                result.Add(SymbolOf(stripped));
            var identity = resolver.Resolve(parent);
            if (!identity.IsUnknown)
                result.Add(identity);
            value = parent;
        }

        return result;
    }

    private static ResourceIdentity SymbolOf(IOperation reference) => reference switch
    {
        ILocalReferenceOperation l => ResourceIdentity.FromSymbol(l.Local, l.Local.Name),
        IFieldReferenceOperation f => ResourceIdentity.FromSymbol(f.Field, f.Field.Name),
        IPropertyReferenceOperation p => ResourceIdentity.FromSymbol(p.Property, p.Property.Name),
        IParameterReferenceOperation a => ResourceIdentity.FromSymbol(a.Parameter, a.Parameter.Name),
        _ => ResourceIdentity.Unknown(reference.Syntax.ToString()),
    };

    /// <summary>Recursive deletes of directories (<c>Directory.Delete(dir, true)</c>), directly or through helpers.</summary>
    private static ActionFinder TreeRemovals(IdentityResolver resolver) =>
        new ActionFinder(resolver, (call, row) => row.Role == ApiRole.RemoveTree && row.Kind == ResourceKind.TemporaryFile && IsRecursive(call, row), summaryKey: "remove-tree:" + ResourceKind.TemporaryFile);

    private static bool IsRecursive(IInvocationOperation call, ApiEntry row) =>
        row.FlagsArgument >= 0 && row.FlagsArgument < call.Arguments.Length
        && IdentityResolver.ArgumentFor(call.Arguments, row.FlagsArgument).ConstantValue is { HasValue: true, Value: true };

    private static void Analyze(OperationAnalysisContext context, CatalogView catalog, ImmutableHashSet<string> cleanup)
    {
        var operation = context.Operation;
        var method = CallSite.Of(operation).Method;
        if (method is null || catalog.Match(method) is not { Role: ApiRole.Create } || operation.SemanticModel is not { } model)
            return;
        var resolver = new IdentityResolver(model, catalog, context.CancellationToken);
        if (Created(operation, resolver) is not { } created)
            return;
        var api = CallSite.Display(method);
        if (created.NameLost)
        {
            // No code after this can name the file: whatever it deletes, it is another file.
            context.ReportDiagnostic(Diagnostic.Create(Rule, operation.Syntax.GetLocation(), api, created.Display));
            return;
        }

        var deletes = ActionFinder.Removals(resolver, ResourceKind.TemporaryFile, cleanup);
        if (Precedence.ActionsAfter(operation, context.ContainingSymbol, deletes, elsewhereOnlyKnown: created.FreshName).Any(d => d.IsUnknown || created.Paths.Contains(d)))
            return;
        // A directory the path is built from, deleted with everything in it (a per-run temporary folder).
        var arguments = CallSite.Of(operation).Arguments;
        if (catalog.Match(method) is { IdentityArgument: >= 0 } row && row.IdentityArgument < arguments.Length
            && Ancestors(IdentityResolver.ArgumentFor(arguments, row.IdentityArgument), resolver) is { Count: > 0 } ancestors
            && Precedence.ActionsAfter(operation, context.ContainingSymbol, TreeRemovals(resolver)).Any(d => d.IsUnknown || ancestors.Contains(d)))
            return;
        // Returned or stored in a field or property: the new owner decides. Opened with DeleteOnClose: the stream deletes it.
        if (HandOver.InMember(operation, created.Paths.Contains, resolver, ownFields: true, frameworkCalls: false) || OpenedWithDeleteOnClose(operation, created.Paths, resolver))
            return;
        context.ReportDiagnostic(Diagnostic.Create(Rule, operation.Syntax.GetLocation(), api, created.Display));
    }

    /// <summary>The creating body opens the path with FileOptions.DeleteOnClose: the stream deletes the file when it closes.</summary>
    private static bool OpenedWithDeleteOnClose(IOperation operation, ResourceIdentity[] paths, IdentityResolver resolver) =>
        IdentityResolver.Root(operation).DescendantsAndSelf().OfType<IObjectCreationOperation>().Any(opened =>
            opened.Arguments.Length > 0 && FileOptionsArgument.DeletesOnClose(opened.Arguments, resolver.Catalog) && paths.Contains(resolver.Resolve(opened.Arguments[0].Value)));

}
