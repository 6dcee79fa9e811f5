using System.Collections.Immutable;
using KillSafe.Analyzers.Catalog;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace KillSafe.Analyzers.Flow;

/// <summary>
/// Follows values through conversions, single-assignment locals, fields and properties, identity
/// carriers such as <c>new UnixDomainSocketEndPoint(path)</c> and byte encoders, across the files of the
/// compilation (a type's other parts and other members are bound through the semantic model of their own
/// file, on demand). Everything is bounded by <see cref="MaxDepth"/>: past it the answer is "unknown",
/// never an exception.
/// </summary>
internal sealed class IdentityResolver
{
    public const int MaxDepth = 8;

    private readonly SemanticModel _model;
    private readonly CatalogView _catalog;
    private readonly CancellationToken _cancellationToken;
    private readonly Dictionary<INamedTypeSymbol, ImmutableArray<IOperation>> _typeBodies = new Dictionary<INamedTypeSymbol, ImmutableArray<IOperation>>(SymbolEqualityComparer.Default);
    private readonly Dictionary<SyntaxTree, SemanticModel> _models = new Dictionary<SyntaxTree, SemanticModel>();

    public IdentityResolver(SemanticModel model, CatalogView catalog, CancellationToken cancellationToken)
    {
        _model = model;
        _catalog = catalog;
        _cancellationToken = cancellationToken;
    }

    public SemanticModel Model => _model;

    public CatalogView Catalog => _catalog;

    public CancellationToken CancellationToken => _cancellationToken;

    /// <summary>
    /// The semantic model of <paramref name="tree"/>: the analysed file's own, or another file's of the same
    /// compilation (null for a tree of another compilation, such as a referenced project's source).
    /// </summary>
    public SemanticModel? ModelFor(SyntaxTree tree)
    {
        if (tree == _model.SyntaxTree)
            return _model;
        if (_models.TryGetValue(tree, out var model))
            return model;
        if (!_model.Compilation.ContainsSyntaxTree(tree))
            return null;
#pragma warning disable RS1030 // Following a helper or a type's other members into another file needs that file's model; bound on demand, only for bodies that matter.
        model = _model.Compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
        _models[tree] = model;
        return model;
    }

    /// <summary>The operation tree of <paramref name="node"/>, bound with the model of its own file.</summary>
    public IOperation? OperationOf(SyntaxNode node) => ModelFor(node.SyntaxTree)?.GetOperation(node, _cancellationToken);

    /// <summary>The operation that produced <paramref name="value"/>, as far as it can be followed.</summary>
    public IOperation Origin(IOperation value)
    {
        for (int depth = 0; depth < MaxDepth; depth++)
        {
            value = Strip(value);
            var write = SingleWrite(value);
            if (write is null)
                break;
            value = write;
        }

        return Strip(value);
    }

    /// <summary>The identity of the resource that <paramref name="value"/> names.</summary>
    public ResourceIdentity Resolve(IOperation value) => Resolve(value, 0);

    private ResourceIdentity Resolve(IOperation value, int depth)
    {
        value = Strip(value);
        var display = value.Syntax.ToString();
        if (depth > MaxDepth)
            return ResourceIdentity.Unknown(display);
        if (value.ConstantValue.HasValue)
            return value.ConstantValue.Value is string s ? ResourceIdentity.FromConstant(s) : ResourceIdentity.Composite("const:" + value.ConstantValue.Value, display);

        var write = SingleWrite(value);
        if (write is not null)
        {
            var resolved = Resolve(write, depth + 1);
            if (!resolved.IsUnknown)
                return resolved;
        }

        switch (value)
        {
            case IParameterReferenceOperation p:
                return ResourceIdentity.FromSymbol(p.Parameter, display);
            case ILocalReferenceOperation l:
                return ResourceIdentity.FromSymbol(l.Local, display);
            case IInstanceReferenceOperation:
                return ResourceIdentity.Composite("this", display);
            case IFieldReferenceOperation f:
                return Member(f.Instance, f.Field, display, depth);
            case IPropertyReferenceOperation pr when pr.Arguments.IsEmpty:
                return Member(pr.Instance, pr.Property, display, depth);
            case IAddressOfOperation a:
                return Resolve(a.Reference, depth + 1);
            case IObjectCreationOperation creation when creation.Constructor is { } ctor:
            {
                var row = _catalog.Match(ctor);
                if (row is { Role: ApiRole.IdentityCarrier } && row.IdentityArgument < creation.Arguments.Length)
                    return Resolve(ArgumentFor(creation.Arguments, row.IdentityArgument), depth + 1);
                return ResourceIdentity.Unknown(display);
            }

            case IInvocationOperation invocation:
            {
                // A creating call that returns a new object each time (shmget, Path.GetTempFileName) names
                // what this call site made, not what another call with the same arguments makes.
                if (_catalog.Match(invocation.TargetMethod) is { Role: ApiRole.Create, IdentityArgument: ApiEntry.ReturnIdentity })
                    return ResourceIdentity.Composite("made:" + invocation.Syntax.SyntaxTree.FilePath + "@" + invocation.Syntax.SpanStart, display);
                if (_catalog.IsPathEncoder(invocation.TargetMethod) && invocation.Arguments.Length > 0)
                    return Resolve(ArgumentFor(invocation.Arguments, 0), depth + 1);
                // A static call of identifiable values (Path.Combine(dir, "app.sock")) names the same thing twice.
                if (invocation.Instance is not null && !invocation.TargetMethod.IsExtensionMethod)
                    return ResourceIdentity.Unknown(display);
                var parts = new List<string>();
                foreach (var argument in invocation.Arguments)
                {
                    var part = Resolve(argument.Value, depth + 1);
                    if (part.IsUnknown)
                        return ResourceIdentity.Unknown(display);
                    parts.Add(part.Key!);
                }

                return ResourceIdentity.Composite("call:" + invocation.TargetMethod.OriginalDefinition.ToDisplayString() + "(" + string.Join(",", parts) + ")", display);
            }

            case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } binary when binary.Type?.SpecialType == SpecialType.System_String:
            {
                // path + "\0": the explicit C string terminator names the same file.
                if (binary.RightOperand.ConstantValue is { HasValue: true, Value: "\0" })
                    return Resolve(binary.LeftOperand, depth + 1);
                var left = Resolve(binary.LeftOperand, depth + 1);
                var right = Resolve(binary.RightOperand, depth + 1);
                return left.IsUnknown || right.IsUnknown
                    ? ResourceIdentity.Unknown(display)
                    : ResourceIdentity.Composite("concat(" + left.Key + "," + right.Key + ")", display);
            }

            default:
                return ResourceIdentity.Unknown(display);
        }
    }

    private ResourceIdentity Member(IOperation? instance, ISymbol member, string display, int depth)
    {
        if (instance is null || instance is IInstanceReferenceOperation)
            return ResourceIdentity.FromSymbol(member, display);
        return Resolve(instance, depth + 1).WithMember(member.Name, display);
    }

    public static IOperation ArgumentFor(ImmutableArray<IArgumentOperation> arguments, int parameterOrdinal)
    {
        foreach (var argument in arguments)
        {
            if (argument.Parameter?.Ordinal == parameterOrdinal)
                return argument.Value;
        }

        return arguments[parameterOrdinal].Value;
    }

    public static IOperation Strip(IOperation value)
    {
        while (true)
        {
            switch (value)
            {
                case IConversionOperation c:
                    value = c.Operand;
                    continue;
                case IParenthesizedOperation p:
                    value = p.Operand;
                    continue;
                case ICoalesceOperation orThrow when IsThrow(orThrow.WhenNull):
                    // Process.Start(info) ?? throw ...: the value, or no value at all.
                    value = orThrow.Value;
                    continue;
                case { Kind: OperationKind.None } when value.ChildOperations.Count == 1:
                    // Nodes the operation API does not model, such as the array initializer of
                    // fixed (byte* p = bytes): look through to their only operand.
                    value = value.ChildOperations.First();
                    continue;
                default:
                    return value;
            }
        }
    }

    /// <summary>A throw expression (<c>?? throw new X()</c>), under the conversion to the coalesce's type.</summary>
    public static bool IsThrow(IOperation operation) =>
        operation is IThrowOperation || operation is IConversionOperation { Operand: IThrowOperation };

    /// <summary>The root of the operation tree <paramref name="operation"/> belongs to (its member body).</summary>
    public static IOperation Root(IOperation operation)
    {
        while (operation.Parent is not null)
            operation = operation.Parent;
        return operation;
    }

    /// <summary>
    /// The one value ever written to the local, field or property <paramref name="reference"/> reads,
    /// or null when there is none, more than one, or it is written in a way that cannot be followed.
    /// </summary>
    private IOperation? SingleWrite(IOperation reference)
    {
        switch (reference)
        {
            case ILocalReferenceOperation local:
                return SingleWrite(new[] { Root(reference) }, local.Local);
            case IFieldReferenceOperation field when field.Instance is null or IInstanceReferenceOperation:
                return field.Field.ContainingType is { } fieldType ? SingleWrite(TypeBodies(fieldType), field.Field) : null;
            case IPropertyReferenceOperation property when property.Arguments.IsEmpty && property.Instance is null or IInstanceReferenceOperation:
                return property.Property.ContainingType is { } propertyType ? SingleWrite(TypeBodies(propertyType), property.Property) : null;
            default:
                return null;
        }
    }

    private IOperation? SingleWrite(IEnumerable<IOperation> roots, ISymbol symbol)
    {
        IOperation? found = null, initialized = null, site = null;
        int writes = 0, initializers = 0;
        foreach (var root in roots)
        {
            foreach (var operation in root.DescendantsAndSelf())
            {
                switch (operation)
                {
                    case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, symbol):
                        if (declarator.GetVariableInitializer() is { } initializer)
                        {
                            found = initializer.Value;
                            writes++;
                        }

                        break;
                    case IFieldInitializerOperation fi when fi.InitializedFields.Any(f => SymbolEqualityComparer.Default.Equals(f, symbol)):
                        initialized = fi.Value;
                        initializers++;
                        break;
                    case IPropertyInitializerOperation pi when pi.InitializedProperties.Any(p => SymbolEqualityComparer.Default.Equals(p, symbol)):
                        initialized = pi.Value;
                        initializers++;
                        break;
                    case IDeconstructionAssignmentOperation deconstruction when TupleIndexOf(deconstruction.Target, symbol) is int index:
                        // (_root, _path) = Paths(): the element at the same place, of a tuple in sight or of
                        // the one tuple the called method returns.
                        found = TupleElement(deconstruction.Value, index);
                        writes += found is null ? 2 : 1;
                        break;
                    case IAssignmentOperation assignment when ReadsSymbol(assignment.Target, symbol):
                        found = assignment is ISimpleAssignmentOperation simple ? simple.Value : null;
                        writes += found is null ? 2 : 1;
                        break;
                    case IArgumentOperation argument when argument.Parameter?.RefKind is RefKind.Ref or RefKind.Out && ReadsSymbol(argument.Value, symbol):
                    case IIncrementOrDecrementOperation increment when ReadsSymbol(increment.Target, symbol):
                    case IDeclarationExpressionOperation declaration when declaration.Parent is not ITupleOperation && ReadsSymbol(declaration.Expression, symbol):
                        writes += 2;
                        break;
                }

                if (writes > 1 || initializers > 1)
                    return null;
                if (writes == 1 && site is null)
                    site = operation;
            }
        }

        if (writes == 0)
            return initialized;
        // An initializer and one write in the type's only constructor: the constructor runs after the
        // initializers, so every other member reads the constructor's value (private string _path = "";
        // then _path = ... in the constructor).
        return writes == 1 && (initialized is null || InTheOnlyConstructor(site!, symbol)) ? found : null;
    }

    private static bool InTheOnlyConstructor(IOperation write, ISymbol member)
    {
        var body = write;
        while (body is not null and not IConstructorBodyOperation)
            body = body.Parent;
        // An instance member: the one declared instance constructor; a static one: the static constructor.
        return body is not null && member.ContainingType is { } type
            && (member.IsStatic ? type.StaticConstructors : type.InstanceConstructors).Count(c => !c.IsImplicitlyDeclared) == 1;
    }

    /// <summary>Where <paramref name="symbol"/> is written in a deconstruction's target (<c>(a, _b) = ...</c>, <c>var (a, b) = ...</c>), or null.</summary>
    private static int? TupleIndexOf(IOperation target, ISymbol symbol)
    {
        if (target is IDeclarationExpressionOperation declaration)
            target = declaration.Expression;
        if (target is not ITupleOperation tuple)
            return null;
        for (int i = 0; i < tuple.Elements.Length; i++)
        {
            var element = tuple.Elements[i] is IDeclarationExpressionOperation declared ? declared.Expression : tuple.Elements[i];
            if (ReadsSymbol(element, symbol))
                return i;
        }

        return null;
    }

    /// <summary>The element at <paramref name="index"/> of a tuple expression, or of the single tuple a method of the compilation returns; else null.</summary>
    private IOperation? TupleElement(IOperation value, int index)
    {
        value = Strip(value);
        if (value is IInvocationOperation { TargetMethod: { } method } && BodyOf(method.OriginalDefinition) is { } body)
        {
            var returns = body.DescendantsAndSelf().OfType<IReturnOperation>().Where(r => r.ReturnedValue is not null).Take(2).ToList();
            if (returns.Count != 1)
                return null;
            value = Strip(returns[0].ReturnedValue!);
        }

        return value is ITupleOperation tuple && index < tuple.Elements.Length ? tuple.Elements[index] : null;
    }

    private static bool ReadsSymbol(IOperation target, ISymbol symbol) => target switch
    {
        ILocalReferenceOperation l => SymbolEqualityComparer.Default.Equals(l.Local, symbol),
        IFieldReferenceOperation f => f.Instance is null or IInstanceReferenceOperation && SymbolEqualityComparer.Default.Equals(f.Field, symbol),
        IPropertyReferenceOperation p => p.Instance is null or IInstanceReferenceOperation && SymbolEqualityComparer.Default.Equals(p.Property, symbol),
        _ => false,
    };

    /// <summary>The operation tree of <paramref name="method"/>'s body in source (any file of the compilation), or null (metadata, extern, partial definition).</summary>
    public IOperation? BodyOf(IMethodSymbol method)
    {
        foreach (var reference in method.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(_cancellationToken) is SyntaxNode node && node is BaseMethodDeclarationSyntax or LocalFunctionStatementSyntax && OperationOf(node) is { } body)
                return body;
        }

        return null;
    }

    /// <summary>The operation trees of every member body and initializer of <paramref name="type"/>, in every file of the compilation.</summary>
    public ImmutableArray<IOperation> TypeBodies(INamedTypeSymbol type)
    {
        if (_typeBodies.TryGetValue(type, out var cached))
            return cached;
        var result = TypeBodies(type, _ => true).ToImmutableArray();
        _typeBodies[type] = result;
        return result;
    }

    /// <summary>
    /// The operation trees of the member bodies and initializers of <paramref name="type"/> (in every file of the
    /// compilation) whose syntax passes <paramref name="include"/>. The others are never bound: binding a body is the
    /// expensive part, and a syntactic test often rules a body out (it does not mention a method's name).
    /// </summary>
    public IEnumerable<IOperation> TypeBodies(INamedTypeSymbol type, System.Func<SyntaxNode, bool> include)
    {
        if (_typeBodies.TryGetValue(type, out var cached))
        {
            foreach (var body in cached)
            {
                if (include(body.Syntax))
                    yield return body;
            }

            yield break;
        }

        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (ModelFor(reference.SyntaxTree) is not { } model || reference.GetSyntax(_cancellationToken) is not TypeDeclarationSyntax declaration)
                continue;
            foreach (var member in declaration.Members)
            {
                foreach (var node in BodyNodes(member))
                {
                    if (include(node) && model.GetOperation(node, _cancellationToken) is { } operation)
                        yield return operation;
                }
            }
        }
    }

    /// <summary>The nodes of <paramref name="member"/> that have an operation tree of their own.</summary>
    public static IEnumerable<SyntaxNode> BodyNodes(MemberDeclarationSyntax member)
    {
        switch (member)
        {
            case BaseMethodDeclarationSyntax method:
                yield return method;
                break;
            case FieldDeclarationSyntax field:
                foreach (var variable in field.Declaration.Variables)
                {
                    if (variable.Initializer is not null)
                        yield return variable.Initializer;
                }

                break;
            case PropertyDeclarationSyntax property:
                if (property.Initializer is not null)
                    yield return property.Initializer;
                if (property.ExpressionBody is not null)
                    yield return property.ExpressionBody;
                if (property.AccessorList is not null)
                {
                    foreach (var accessor in property.AccessorList.Accessors)
                        yield return accessor;
                }

                break;
        }
    }
}
