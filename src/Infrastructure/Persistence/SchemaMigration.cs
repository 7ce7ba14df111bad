using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Provisioning.Infrastructure.Persistence;

/// <summary>
/// The base of every migration (<c>SchemaMigrationTests</c> holds them to it): applied by the service or a verb, a migration
/// has no target model. EF builds a migration's target model (its Designer file's <c>BuildTargetModel</c>) only to hand it to
/// the SQL generator, and no migration's SQL depends on it (the same tests compare both ways, up and down); building one model
/// per migration was a share of every first start's CPU. The design-time tools (<c>dotnet ef migrations script</c>, whose
/// output is unchanged, and <c>remove</c>) still get the model: <see cref="EF.IsDesignTime"/> is set by every one of them.
/// </summary>
public abstract class SchemaMigration : Migration
{
    public override IModel TargetModel => EF.IsDesignTime ? base.TargetModel : null!;

    internal IModel DesignTimeTargetModel => base.TargetModel;
}
