//! The GitHub Classroom template grades every exercise, in the course's
//! order, each for as many points as it has checks.
#![allow(clippy::unwrap_used)] // a test fails by panicking
use lab::catalog::Course;

#[test]
fn the_classroom_template_has_one_step_per_exercise_worth_its_checks() {
    let course = Course::here().unwrap();
    let template = course.root.join(".github").join("classroom").join("autograding.yml");
    let text = std::fs::read_to_string(&template).unwrap();
    let mut steps = Vec::new();
    for step in text.split("uses: education/autograding-command-grader@v1").skip(1) {
        let id =
            step.split(" check ").nth(1).and_then(|rest| rest.split_whitespace().next()).unwrap();
        let max = step
            .split("max-score: ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap();
        steps.push((id.to_string(), max.parse::<usize>().unwrap()));
    }
    let wanted: Vec<(String, usize)> =
        course.exercises.iter().map(|e| (e.id.clone(), lab::checks::of(&e.id).len())).collect();
    assert_eq!(
        steps,
        wanted,
        "{} is out of date with the exercises and their checks",
        template.display()
    );
    for (id, _) in &wanted {
        // The reporter reads each step's result from <STEP ID IN CAPITALS>_RESULTS.
        let env =
            format!("{}_RESULTS: \"${{{{ steps.{id}.outputs.result }}}}\"", id.to_uppercase());
        assert!(text.contains(&env), "the reporter does not read {id}'s result ({env})");
    }
}

#[test]
fn chapter_numbers_are_the_books() {
    // mdBook numbers the top-level entries of SUMMARY.md in order, across parts.
    let course = Course::here().unwrap();
    let summary = std::fs::read_to_string(course.root.join("book/en/src/SUMMARY.md")).unwrap();
    let pages: Vec<&str> = summary
        .lines()
        .filter(|line| line.starts_with("- ["))
        .filter_map(|line| line.split("](").nth(1)?.strip_suffix(".md)"))
        .collect();
    for (slug, number, ..) in lab::catalog::CHAPTERS {
        let at = pages.iter().position(|page| page == slug).unwrap();
        assert_eq!(at + 1, *number, "{slug} is chapter {} of the book", at + 1);
    }
}
