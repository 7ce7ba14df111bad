using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// The select list a raw-SQL query of an entity's table (alias <c>a</c>) must send for EF to materialise it: every column
/// under the name EF looks for — for a complex property such as <c>App.Settings</c> that is <c>Settings_EchoPostback</c>
/// (complex property, underscore, property), not the snake_case column, so each column is aliased. Built from the model
/// once, so a new column needs no change here; and each statement filled in once, not on every request.
/// </summary>
internal static class EntityColumns
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(Type Entity, string Sql, string IdFrom), string> Filled = new();

    /// <summary>
    /// <paramref name="sql"/> with <c>{columns}</c> replaced by the select list of <typeparamref name="TEntity"/>; with
    /// <paramref name="idFrom"/> the id is read from that expression instead of <c>a.id</c>.
    /// </summary>
    public static string In<TEntity>(IModel model, string sql, string idFrom = "a.\"id\"") =>
        Filled.GetOrAdd((typeof(TEntity), sql, idFrom),
            static (key, m) => key.Sql.Replace("{columns}", Build(m, key.Entity, key.IdFrom), StringComparison.Ordinal), model);

    private static string Build(IModel model, Type type, string idFrom)
    {
        var entity = model.FindEntityType(type) ?? throw new InvalidOperationException($"{type.Name} is not in the model.");
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var id = entity.FindPrimaryKey()!.Properties.Single();
        var columns = entity.GetProperties().Select(p => (Source: p == id ? idFrom : $"a.\"{p.GetColumnName(table)}\"", Alias: p.GetColumnName()))
            .Concat(entity.GetComplexProperties().SelectMany(c => c.ComplexType.GetProperties()
                .Select(p => (Source: $"a.\"{p.GetColumnName(table)}\"", Alias: $"{c.Name}_{p.Name}"))));
        return string.Join(", ", columns.Select(c => $"{c.Source} AS \"{c.Alias}\""));
    }
}
